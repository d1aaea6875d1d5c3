import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { McpPayments } from '@tollgate/mcp'
import * as z from 'zod'
import { cities, prices, weatherOf } from './weather.ts'

/** The demo's MCP tools, as `tools/list` shows them. */
export const demoTools = {
  get_forecast: 'Daily forecast for a city, $0.001 per day (days 1..7, default 3)',
  list_cities: 'The cities the demo has weather for (free)',
} as const

/**
 * The demo's MCP server for one request (stateless Streamable HTTP builds one per request):
 * `get_forecast`, priced like `GET /forecast` ($0.001 per day, from the arguments), and the free
 * `list_cities`. An unknown city is an `isError` result, so it is not charged.
 */
export function demoMcpServer(payments: McpPayments, payTo: string, network: string): McpServer {
  const server = new McpServer({ name: 'tollgate-demo-weather', version: '1.0.0' })
  server.registerTool('list_cities', { description: demoTools.list_cities, inputSchema: {} }, async () => ({
    content: [{ type: 'text', text: JSON.stringify({ cities }) }],
    structuredContent: { cities },
  }))
  payments.tool(
    server,
    'get_forecast',
    {
      description: demoTools.get_forecast,
      inputSchema: {
        city: z.string().optional().describe('A city name; default Lisbon (an unknown city is an error, not charged)'),
        days: z.number().int().min(1).max(7).optional().describe('Days to forecast, 1 to 7; default 3'),
      },
    },
    {
      // Dynamic: the price is computed from the validated arguments, identically on the paid retry.
      accepts: { network, payTo, price: ({ days }) => prices.forecastPerDay * BigInt(days ?? 3) },
    },
    async ({ city: wanted = 'Lisbon', days = 3 }, { payment }) => {
      const city = cities.find((name) => name.toLowerCase() === wanted.toLowerCase())
      if (!city) {
        return { isError: true, content: [{ type: 'text', text: JSON.stringify({ error: 'unknown_city', cities }) }] }
      }
      const forecast = {
        city,
        days: Array.from({ length: days }, (_, day) => ({ day: day + 1, ...weatherOf(city, day + 1) })),
        paidBy: payment.payer,
      }
      return { content: [{ type: 'text', text: JSON.stringify(forecast) }], structuredContent: forecast }
    },
  )
  return server
}
