// autocannon 8 ships no types; this is the part run.ts uses.
declare module 'autocannon' {
  type Options = { url: string; connections?: number; duration?: number; pipelining?: number }
  // biome-ignore lint/suspicious/noExplicitAny: the result object is read through a local type in run.ts
  function autocannon(options: Options, callback: (error: unknown, result: any) => void): unknown
  export default autocannon
}
