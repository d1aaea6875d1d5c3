/**
 * `tollgate-facilitator doctor` aimed at hostile sellers: real HTTP servers on 127.0.0.1, the real
 * command (`runDoctorCommand` with the global fetch, or the bin as a process), and a second local
 * "internal" server that a seller's documents try to send the doctor to. The seller's documents are
 * data: no request leaves the target's origin, no method but GET/HEAD is sent, no body at all, no
 * cross-origin redirect is followed, every request ends within its deadline and byte cap, nothing
 * printed carries a control character, and a catastrophic regular expression is never run.
 */
import { execFile } from 'node:child_process'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { encodeHeader, headers, type PaymentRequiredV2 } from '@tollgate/protocol'
import { afterEach, describe, expect, test } from 'vitest'
import { defaultPayTo } from '../../apps/demo/src/config.ts'
import { helpText } from '../../apps/facilitator/src/commands/cli.ts'
import { type DoctorCommandIo, runDoctorCommand } from '../../apps/facilitator/src/commands/doctor.ts'

const bin = join(import.meta.dirname, '../../apps/facilitator/bin/tollgate-facilitator.js')

type Received = { method: string; url: string; body: string; at: number }
type Local = { origin: string; port: number; received: Received[]; close: () => Promise<void> }
type Handler = (req: IncomingMessage, res: ServerResponse, local: Local) => void

const servers = new Set<Server>()
afterEach(async () => {
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  servers.clear()
})

/** A server on a free port of 127.0.0.1 that records every request (method, URL, body) before `handle` answers. */
async function serve(handle: Handler): Promise<Local> {
  const received: Received[] = []
  const server = createServer()
  servers.add(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const local: Local = {
    origin: `http://127.0.0.1:${port}`,
    port,
    received,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      servers.delete(server)
    },
  }
  server.on('request', (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        body: Buffer.concat(chunks).toString(),
        at: Date.now(),
      })
      handle(req, res, local)
    })
  })
  return local
}

const json = (res: ServerResponse, body: unknown, status = 200) => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}
const redirect = (res: ServerResponse, location: string, status = 302) => {
  res.writeHead(status, { location })
  res.end()
}
const accepts: PaymentRequiredV2['accepts'] = [
  {
    scheme: 'exact',
    network: 'eip155:8453',
    amount: '1000',
    asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
    payTo: defaultPayTo,
    maxTimeoutSeconds: 300,
  },
]
const paymentRequired = (res: ServerResponse, url: string, extensions?: Record<string, unknown>, description = 'x') => {
  const quote: PaymentRequiredV2 = {
    x402Version: 2,
    error: 'payment_required',
    resource: { url, description, mimeType: 'application/json' },
    accepts,
    ...(extensions ? { extensions } : {}),
  }
  res.writeHead(402, { 'content-type': 'application/json', [headers.paymentRequired]: encodeHeader(quote) })
  res.end('{}')
}

/** `runDoctorCommand` as the bin calls it (global fetch, system resolver): exit code and output. */
async function doctor(args: string[], io: Pick<DoctorCommandIo, 'fetch' | 'resolve'> = {}) {
  let output = ''
  const write = (text: string) => {
    output += text
  }
  const started = Date.now()
  const code = await runDoctorCommand(args, { out: write, err: write, ...io })
  return { code, output, elapsed: Date.now() - started }
}

/** The bin as a process, killed at `deadlineMs`: exit code (null when killed), raw stdout and stderr, exit time. */
function doctorProcess(args: string[], deadlineMs: number) {
  return new Promise<{ code: number | null; stdout: Buffer; stderr: Buffer; exitedAt: number }>((resolve) => {
    execFile(
      process.execPath,
      [bin, 'doctor', ...args],
      { encoding: 'buffer', timeout: deadlineMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
        resolve({ code, stdout, stderr, exitedAt: Date.now() })
      },
    )
  })
}

const findingLines = (output: string, code: string) => output.split('\n').filter((line) => line.includes(` ${code} `))

describe('doctor against hostile sellers', () => {
  test('default: a resource listed on another origin, or for DELETE/PUT, is reported and never requested', async () => {
    const internal = await serve((_req, res) => json(res, { deleted: true }))
    const putBody = {
      extensions: { bazaar: { info: { input: { type: 'http', method: 'PUT', body: { admin: true } } } } },
    }
    const bigBody = {
      extensions: { bazaar: { info: { input: { type: 'http', body: { rows: 'x'.repeat(70_000) } } } } },
    }
    const seller = await serve((req, res, self) => {
      if (req.url !== '/.well-known/x402') return json(res, {}, 404)
      json(res, {
        x402Version: 2,
        resources: [
          { resource: `${internal.origin}/admin/users/1`, method: 'DELETE' },
          { resource: `${internal.origin}/config`, method: 'PUT', ...putBody },
          { resource: `${internal.origin}/health`, method: 'GET' },
          { resource: `${self.origin}/wipe`, method: 'DELETE' },
          { resource: `${self.origin}/settings`, method: 'PUT', ...putBody },
          { resource: `${self.origin}/bulk`, method: 'PUT', ...bigBody },
        ],
      })
    })
    const { code, output } = await doctor([seller.origin])
    expect(internal.received).toEqual([])
    expect(seller.received.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
      'GET /.well-known/x402 ',
      'GET /openapi.json ',
    ])
    expect(findingLines(output, 'off_origin').map((line) => line.slice(0, line.indexOf(': ')))).toEqual([
      `warn  off_origin DELETE ${internal.origin}/admin/users/1`,
      `warn  off_origin PUT ${internal.origin}/config`,
      `warn  off_origin GET ${internal.origin}/health`,
    ])
    expect(findingLines(output, 'method_not_checked')).toHaveLength(3)
    expect(output).toContain('--allow-method DELETE')
    // Nothing could be checked: that is not "ok".
    expect(output).toContain('ERROR nothing_checked')
    expect(code).toBe(1)

    // Only explicit flags widen it: --allow-method (PUT then carries the example's body), --allow-origin.
    seller.received.length = 0
    const widened = await doctor(['--allow-method', 'PUT', `--allow-origin=${internal.origin}`, seller.origin])
    expect(seller.received.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
      'GET /.well-known/x402 ',
      'GET /openapi.json ',
      'PUT /settings {"admin":true}',
    ])
    expect(internal.received.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
      'PUT /config {"admin":true}',
      'GET /health ',
    ])
    // Still not sent: the two DELETEs, and an example body over 64 KiB.
    expect(
      findingLines(widened.output, 'method_not_checked').map((line) => line.slice(line.indexOf(': ') + 2)),
    ).toEqual([
      'listed for DELETE: not requested, doctor sends only GET, HEAD, PUT (allow it with --allow-method DELETE)',
      'listed for DELETE: not requested, doctor sends only GET, HEAD, PUT (allow it with --allow-method DELETE)',
      'the example body is over 65536 characters: not sent',
    ])
  }, 15_000)

  test('behavior: redirects to another origin are not followed; same-origin ones are, a bounded number of times', async () => {
    const internal = await serve((_req, res) => json(res, { secret: true }))
    const seller = await serve((req, res, self) => {
      if (req.url === '/.well-known/x402') return redirect(res, `${internal.origin}/.well-known/x402`)
      if (req.url === '/openapi.json') return redirect(res, `${internal.origin}/openapi.json`, 307)
      if (req.url === '/pay') return redirect(res, `${internal.origin}/steal`, 301)
      if (req.url === '/moved') return redirect(res, '/paid', 303)
      if (req.url === '/paid') return paymentRequired(res, `${self.origin}/paid`)
      if (req.url === '/loop') return redirect(res, '/loop')
      json(res, {}, 404)
    })
    const crossOrigin = await doctor([`${seller.origin}/pay`])
    expect(internal.received).toEqual([])
    expect(findingLines(crossOrigin.output, 'redirect_refused')).toHaveLength(3)
    expect(crossOrigin.output).toContain(`a redirect to another origin, ${internal.origin}, not followed`)

    const sameOrigin = await doctor([`${seller.origin}/moved`])
    expect(findingLines(sameOrigin.output, 'missing_bazaar')).toEqual([
      `ERROR missing_bazaar GET ${seller.origin}/moved: the 402 has no bazaar extension: catalogues will not list this resource`,
    ])
    seller.received.length = 0
    const loop = await doctor(['--max-redirects', '3', `${seller.origin}/loop`])
    expect(findingLines(loop.output, 'too_many_redirects')).toHaveLength(1)
    expect(seller.received.filter((r) => r.url === '/loop')).toHaveLength(4)
    expect(internal.received).toEqual([])

    // Allowed explicitly, the other origin is followed to (with GET only).
    await doctor([`--allow-origin`, internal.origin, `${seller.origin}/pay`])
    expect(internal.received.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /.well-known/x402',
      'GET /openapi.json',
      'GET /steal',
    ])
  }, 15_000)

  test('behavior: when the target is public, nothing private is contacted, even on an allowed origin or after its name changes', async () => {
    // The doctor's own fetch and resolver, injected: seller.test is a public address, cdn.test a private one.
    const calls: string[] = []
    const fetcher = async (url: string, init?: RequestInit) => {
      calls.push(`${init?.method} ${url}`)
      const { pathname, host } = new URL(url)
      if (host !== 'seller.test') return new Response('{}', { status: 200 })
      if (pathname === '/.well-known/x402') return Response.redirect('http://127.0.0.2:8080/.well-known/x402', 302)
      if (pathname === '/openapi.json') return Response.redirect('http://cdn.test/openapi.json', 302)
      return Response.redirect('http://169.254.169.254/latest/meta-data/', 302)
    }
    const names: Record<string, string[]> = { 'seller.test': ['203.0.113.10'], 'cdn.test': ['10.0.0.7'] }
    const resolve = async (name: string) => names[name] ?? []
    const allow = ['--allow-origin', 'http://127.0.0.2:8080', '--allow-origin', 'http://cdn.test']
    const args = [...allow, '--allow-origin', 'http://169.254.169.254', 'http://seller.test/pay']
    const refused = await doctor(args, { fetch: fetcher, resolve })
    expect(calls).toEqual([
      'GET http://seller.test/.well-known/x402',
      'GET http://seller.test/openapi.json',
      'GET http://seller.test/pay',
    ])
    expect(findingLines(refused.output, 'private_address')).toHaveLength(3)
    expect(refused.output).toContain('(allow it with --allow-private)')

    calls.length = 0
    await doctor(['--allow-private', ...args], { fetch: fetcher, resolve })
    expect(calls.filter((call) => !call.includes('seller.test'))).toEqual([
      'GET http://127.0.0.2:8080/.well-known/x402',
      'GET http://cdn.test/openapi.json',
      'GET http://169.254.169.254/latest/meta-data/',
    ])

    // seller.test turns private after the first lookups (DNS rebinding): the next request is refused.
    calls.length = 0
    let lookups = 0
    const rebinding = async () => (++lookups <= 2 ? ['203.0.113.10'] : ['127.0.0.1'])
    const rebound = await doctor(['http://seller.test/pay'], { fetch: fetcher, resolve: rebinding })
    expect(calls).toEqual(['GET http://seller.test/.well-known/x402'])
    expect(findingLines(rebound.output, 'private_address')).toHaveLength(2)
  }, 15_000)

  test('behavior: a server that sends 50 MiB ends in a finding at the byte cap', async () => {
    const fiftyMiB = 50 * 1024 * 1024
    const sent: Record<string, number> = {}
    const big = await serve((req, res) => {
      if (req.url === '/pay') return paymentRequired(res, `${big.origin}/pay`)
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      // /openapi.json says how big it is; /.well-known/x402 does not (chunked).
      res.writeHead(200, req.url === '/openapi.json' ? { 'content-length': String(fiftyMiB) } : {})
      const path = req.url ?? ''
      sent[path] = 0
      const pump = () => {
        while ((sent[path] ?? 0) < fiftyMiB && !res.destroyed) {
          sent[path] = (sent[path] ?? 0) + chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        if (!res.destroyed) res.end()
      }
      res.on('error', () => {})
      pump()
    })
    const bigRun = await doctor([`${big.origin}/pay`]) // the defaults: 1 MiB, 10 s
    expect(bigRun.elapsed).toBeLessThan(5_000)
    expect(findingLines(bigRun.output, 'too_large')).toEqual([
      `ERROR too_large ${big.origin}/.well-known/x402: the body is over 1048576 bytes: doctor stopped reading`,
      `ERROR too_large ${big.origin}/openapi.json: the body is ${fiftyMiB} bytes; doctor reads at most 1048576`,
    ])
    // The reading stopped: the server could not send it all.
    expect(sent['/.well-known/x402']).toBeLessThan(fiftyMiB / 2)
    expect(sent['/openapi.json']).toBeLessThan(fiftyMiB / 2)
  }, 20_000)

  test('behavior: a server that never finishes (headers or body) ends in a finding at the deadline', async () => {
    const slow = await serve((req, res) => {
      if (req.url === '/.well-known/x402') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write('{"x402Version":2,"resources":[') // and never more
        return
      }
      // /openapi.json and /pay: never even the headers
    })
    const slowRun = await doctor(['--timeout-ms', '500', `${slow.origin}/pay`])
    expect(slowRun.elapsed).toBeLessThan(4_000)
    expect(findingLines(slowRun.output, 'timeout')).toEqual([
      `ERROR timeout ${slow.origin}/.well-known/x402: no complete answer within 500 ms`,
      `ERROR timeout ${slow.origin}/openapi.json: no complete answer within 500 ms`,
      `ERROR timeout GET ${slow.origin}/pay: no complete answer within 500 ms`,
    ])
    expect(slowRun.code).toBe(1)
  }, 15_000)

  test('behavior: escape sequences in the documents reach the terminal escaped (the bin, raw bytes)', async () => {
    const ansi = '\x1b[2J\x1b]0;owned\x07\u009b31m'
    const seller = await serve((req, res, self) => {
      if (req.url === '/.well-known/x402') {
        return json(res, {
          x402Version: 2,
          resources: [
            {
              resource: `${self.origin}/weather`,
              method: 'GET',
              description: `weather ${ansi}`,
              routeTemplate: `/weather${ansi}`,
            },
            { resource: `${self.origin}/wipe`, method: `${ansi}DELETE` },
          ],
        })
      }
      if (req.url?.startsWith('/weather')) {
        return paymentRequired(
          res,
          `${self.origin}/weather`,
          {
            bazaar: {
              info: { input: { type: 'http', method: 'GET', queryParams: { [`${ansi}key`]: `v${ansi}` } } },
              schema: {
                type: 'object',
                properties: {
                  input: {
                    type: 'object',
                    properties: { queryParams: { type: 'object', properties: {}, additionalProperties: false } },
                  },
                },
              },
            },
          },
          `described ${ansi}`,
        )
      }
      json(res, {}, 404)
    })
    const { code, stdout, stderr } = await doctorProcess([seller.origin], 20_000)
    const printed = Buffer.concat([stdout, stderr])
    expect(printed.includes(0x1b)).toBe(false) // ESC
    expect(printed.includes(0x07)).toBe(false) // BEL
    expect(printed.includes(Buffer.from('\u009b'))).toBe(false) // C1 CSI, UTF-8 encoded
    const text = printed.toString()
    expect(text).toContain('ERROR route_template_mismatch')
    expect(text).toContain('\\u{1b}[2J\\u{1b}]0;owned\\u{7}\\u{9b}31m')
    expect(text).toContain('warn  method_not_checked \\u{1b}[2J')
    expect(text).toContain('ERROR invalid_example')
    expect(code).toBe(1)
  }, 25_000)

  test('behavior: a catastrophic pattern in the schema is not run: the command ends soon after the 402', async () => {
    const seller = await serve((req, res, self) => {
      if (req.url === '/.well-known/x402') {
        return json(res, { x402Version: 2, resources: [{ resource: `${self.origin}/search`, method: 'GET' }] })
      }
      if (req.url?.startsWith('/search')) {
        return paymentRequired(res, `${self.origin}/search`, {
          bazaar: {
            // Backtracking ^(a+)+$ on 64 a's and a "!" takes 2^64 steps.
            info: { input: { type: 'http', method: 'GET', queryParams: { q: `${'a'.repeat(64)}!` } } },
            schema: {
              type: 'object',
              properties: {
                input: {
                  type: 'object',
                  properties: {
                    queryParams: { type: 'object', properties: { q: { type: 'string', pattern: '^(a+)+$' } } },
                  },
                },
              },
            },
          },
        })
      }
      json(res, {}, 404)
    })
    const { code, stdout, exitedAt } = await doctorProcess([seller.origin], 20_000)
    const quoted = seller.received.find((r) => r.url.startsWith('/search'))
    expect(quoted).toBeDefined()
    // From the 402 to the exit: the check, the printing and the process's exit (2^64 steps if the pattern ran).
    expect(exitedAt - (quoted?.at ?? 0), 'ms from the 402 to the exit').toBeLessThan(2_000)
    expect(stdout.toString()).toContain('warn  pattern_not_checked GET')
    expect(code).toBe(0)
  }, 25_000)

  test('behavior: the flags are in the help; a bad flag is a usage error', async () => {
    for (const flag of ['--allow-origin', '--allow-method', '--allow-private', '--timeout-ms', '--max-bytes']) {
      expect(helpText()).toContain(flag)
      expect((await doctor(['--help'])).output).toContain(flag)
    }
    expect((await doctor(['--allow-origin', 'ftp://x', 'http://127.0.0.1:1'])).code).toBe(2)
    expect((await doctor(['--timeout-ms', '0', 'http://127.0.0.1:1'])).code).toBe(2)
    expect((await doctor(['file:///etc/passwd'])).code).toBe(2)
  })
})
