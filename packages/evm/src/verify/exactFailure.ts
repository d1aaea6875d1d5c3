import type { ErrorCode } from '@tollgate/protocol'

/** A check of the `exact` verification that failed (internal): its code and, for some, a reason. */
export type ExactFailure = { code: ErrorCode; message?: string }
