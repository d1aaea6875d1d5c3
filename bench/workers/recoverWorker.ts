/**
 * A Worker that times the facilitator Worker's signature recovery inside workerd: `POST` `{ digest, signature, bit,
 * n }` (hex), `n` recoveries with `jsRecoverAddress` (viem, pure JS: what the Worker verifies with), answered as
 * `{ ms, address }`.
 */
import { jsRecoverAddress } from '@tollgate/evm'
import { hexToBytes } from 'viem'

export default {
  async fetch(request: Request): Promise<Response> {
    const { digest, signature, bit, n } = (await request.json()) as {
      digest: `0x${string}`
      signature: `0x${string}`
      bit: 0 | 1
      n: number
    }
    const hash = hexToBytes(digest)
    const sig = hexToBytes(signature)
    let address: string | undefined
    const started = performance.now()
    for (let i = 0; i < n; i++) address = await jsRecoverAddress(hash, sig, bit)
    return Response.json({ ms: performance.now() - started, address })
  },
}
