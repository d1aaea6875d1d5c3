import { ConfigError } from '@tollgate/protocol'

/** The demo's configuration, read once at the entry from `process.env` (Node) or the Worker's `env`. */
export type DemoConfig = Readonly<{
  host: string
  port: number
  facilitatorUrl: string
  payTo: string
  network: string
  /**
   * `TOLLGATE_DEMO_PUBLIC_URL`: the origin buyers reach the demo at (quotes, receipts and catalogue
   * entries name routes under it). Default on Node: `http://<host>:<port>` as it listens.
   */
  publicUrl?: string
  /** `TOLLGATE_FACILITATOR_API_KEY`: the facilitator API key (`tollgate-facilitator keys create`). Never logged. */
  facilitatorApiKey?: string
  /**
   * `TOLLGATE_DEMO_DELIVERY`: when `/weather` is served, `settled` (once the settlement's receipt is
   * seen) or `optimistic` (once it is verified, reserved and broadcast). Default `settled`.
   */
  delivery: 'optimistic' | 'settled'
}>

/** Dev account #1 of the local chain: the seller in the local stack. */
export const defaultPayTo = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'

/**
 * Parses the demo's environment. Every variable is optional:
 *
 * | variable | default |
 * | --- | --- |
 * | `TOLLGATE_DEMO_HOST` | `127.0.0.1` |
 * | `TOLLGATE_DEMO_PORT` | `4021` |
 * | `TOLLGATE_FACILITATOR_URL` | `http://127.0.0.1:4020` |
 * | `TOLLGATE_PAY_TO` | dev account #1 |
 * | `TOLLGATE_NETWORK` | `eip155:8453` |
 * | `TOLLGATE_DEMO_PUBLIC_URL` | `http://<host>:<port>` on Node; none on Workers |
 * | `TOLLGATE_FACILITATOR_API_KEY` | none (a facilitator with auth off) |
 * | `TOLLGATE_DEMO_DELIVERY` | `settled` (or `optimistic`: `/weather` served once its settlement is broadcast) |
 *
 * Throws a ConfigError naming the variable when a value is malformed.
 */
export function parseDemoConfig(env: Record<string, string | undefined>): DemoConfig {
  const port = Number(env.TOLLGATE_DEMO_PORT ?? '4021')
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError({ message: `TOLLGATE_DEMO_PORT must be a port number, received ${env.TOLLGATE_DEMO_PORT}.` })
  }
  const facilitatorUrl = env.TOLLGATE_FACILITATOR_URL ?? 'http://127.0.0.1:4020'
  if (!URL.canParse(facilitatorUrl)) {
    throw new ConfigError({ message: `TOLLGATE_FACILITATOR_URL must be a URL, received ${facilitatorUrl}.` })
  }
  const publicUrl = env.TOLLGATE_DEMO_PUBLIC_URL
  if (publicUrl !== undefined && !/^https?:\/\/[^/?#]+\/?$/.test(publicUrl)) {
    throw new ConfigError({
      message: `TOLLGATE_DEMO_PUBLIC_URL must be an http(s) origin such as https://api.example.com, received ${publicUrl}.`,
    })
  }
  const payTo = env.TOLLGATE_PAY_TO ?? defaultPayTo
  if (!/^0x[0-9a-fA-F]{40}$/.test(payTo)) {
    throw new ConfigError({ message: `TOLLGATE_PAY_TO must be an EVM address, received ${payTo}.` })
  }
  const delivery = env.TOLLGATE_DEMO_DELIVERY ?? 'settled'
  if (delivery !== 'settled' && delivery !== 'optimistic') {
    throw new ConfigError({ message: `TOLLGATE_DEMO_DELIVERY must be settled or optimistic, received ${delivery}.` })
  }
  return Object.freeze({
    host: env.TOLLGATE_DEMO_HOST ?? '127.0.0.1',
    delivery,
    port,
    facilitatorUrl,
    payTo,
    network: env.TOLLGATE_NETWORK ?? 'eip155:8453',
    ...(publicUrl ? { publicUrl } : {}),
    ...(env.TOLLGATE_FACILITATOR_API_KEY ? { facilitatorApiKey: env.TOLLGATE_FACILITATOR_API_KEY } : {}),
  })
}
