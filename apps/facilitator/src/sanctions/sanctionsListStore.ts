import type { Hex } from 'viem'

/** The artifact's text and its SHA-256 (of the text as stored: the loaded list's `artifactSha256`). */
export type StoredSanctionsList = { text: string; sha256: Hex }

/**
 * Where the OFAC list (the screening artifact) is kept, for the loader, `sanctions update` and the refresh
 * schedule: a file per node, or one row of the shared PostgreSQL database for every node.
 */
export type SanctionsListStore = {
  /** For logs and answers: `file <path>` or `postgres <schema>.<table>` (never a URL or a secret). */
  readonly where: string
  /** The current artifact, or `undefined` when there is none yet. */
  read(): Promise<StoredSanctionsList | undefined>
  /** The current artifact's SHA-256 only (cheap: nodes poll it). */
  sha256(): Promise<Hex | undefined>
  /**
   * Replaces the current artifact, atomically (a reader sees the old one or the new one, never a mix), if it is
   * still `expected` (`undefined`: there was none); `false` when another writer replaced it first.
   */
  replace(text: string, options: { expected: Hex | undefined }): Promise<boolean>
  /** Keeps a refused candidate (a mass removal) for the operator to review, beside the current one. */
  hold(text: string): Promise<string>
  close(): Promise<void>
}
