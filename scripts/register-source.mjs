// Runs the workspace's TypeScript under plain node with no build: tsx for the syntax, and the
// `@tollgate/source` export condition, under which every @tollgate/* package resolves to its src/
// (see the packages' `exports`). Use: `node --import ./scripts/register-source.mjs file.ts`, or
// import it first from a JS shim. `tsx --conditions=@tollgate/source file.ts` does the same.
import { register } from 'node:module'

const addSourceCondition = `export function resolve(specifier, context, next) {
  return next(specifier, { ...context, conditions: [...context.conditions, '@tollgate/source'] })
}`
register(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`)
const tsx = await import('tsx/esm/api')
tsx.register()
