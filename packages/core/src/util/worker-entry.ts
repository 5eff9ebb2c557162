import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The entry of a worker thread named `name` beside the module at `base` (its
 * `import.meta.url`). Built, that is `name.js` beside the module's output, bundled or not
 * (the build bundles each worker beside index.js). From the sources (tests run them through
 * tsx) it is `name.ts`, and Node 20 runs no `--import` hooks in workers, so a two-line entry
 * registers tsx there first.
 */
export function workerEntry (base: string, name: string): URL {
  if (!base.endsWith('.ts')) return new URL(`./${name}.js`, base)
  const tsx = import.meta.resolve('tsx/esm/api')
  const entry = new URL(`./${name}.ts`, base).href
  return new URL(`data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(tsx)}\nregister()\nawait import(${JSON.stringify(entry)})`)}`)
}

/**
 * Whether the entry of worker `name` is there to start. An application that bundles core
 * into a file of its own leaves the worker files behind: a thread chosen for speed is then
 * left out (the work is done on the calling thread), while one asked for fails on start.
 */
export function workerShipped (base: string, name: string): boolean {
  if (base.endsWith('.ts')) return true
  const entry = workerEntry(base, name)
  return entry.protocol === 'file:' && existsSync(fileURLToPath(entry))
}
