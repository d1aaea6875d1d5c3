// `node bench/workers/index.js [options]`: runs run.ts through tsx with @tollgate/* resolved to their sources. Options: see run.ts.
await import('../../scripts/register-source.mjs')
await import('./run.ts')
