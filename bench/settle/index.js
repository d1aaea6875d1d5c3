// `node bench/settle/index.js [options]`: runs run.ts through tsx (the benchmark is TypeScript). Options: see run.ts.
const { register } = await import('tsx/esm/api')
register()
await import('./run.ts')
