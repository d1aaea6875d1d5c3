export type { McpPayments, McpPaymentsOptions, PaidToolConfig, ToolArgs, ToolInput } from './mcpPayments.ts'
export { mcpPayments } from './mcpPayments.ts'
export type {
  PaidToolExtra,
  PaidToolHandler,
  PaidToolOptions,
  ToolExtra,
  ToolPayment,
} from './paidTool.ts'
export type { PaymentErrorContent } from './results.ts'
export { paymentMetaKey, paymentResponseMetaKey } from './results.ts'
export type { ServeMcpOptions } from './serveMcp.ts'
export { serveMcp } from './serveMcp.ts'
