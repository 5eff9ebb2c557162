import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, test } from 'node:test'
import { build } from 'esbuild'

// An application that bundles core into one file of its own leaves the worker files
// (line-hash-worker.js, drain-worker.js, orphan-lines-worker.js) behind. A diff large enough to choose both threads
// must still give the whole answer, on the calling thread; a thread that is asked for fails.
const cache = fileURLToPath(new URL('../.cache/', import.meta.url))
mkdirSync(cache, { recursive: true })
// Under the package, so that the bundle finds core's dependencies (left external) in node_modules.
const work = mkdtempSync(join(cache, 'bundled-'))
after(() => rmSync(work, { recursive: true, force: true }))

// Enough lines that the reading thread is chosen (a million in all), and references enough
// that a spill at 8MiB is drained on two threads (a million expected).
const N = 800_000
const candidates = join(work, 'candidates.txt')
const references = join(work, 'references.txt')
const app = join(work, 'app.js')

before(async () => {
  const lines = (key: (i: number) => string | undefined): string => Array.from({ length: N }, (_, i) => key(i)).filter(key => key !== undefined).join('\n') + '\n'
  writeFileSync(candidates, lines(i => i % 10 === 0 ? `orphan/${i}` : `blob/${i}`))
  writeFileSync(references, lines(i => i % 20 === 5 ? undefined : `blob/${i}`))
  await build({ entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))], bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', outfile: app, logLevel: 'warning' })
})

/** Runs a diff through the bundle in a child process; its orphan count, spill and error code. */
function bundledDiff (options: string): { orphans?: number, spilledBytes?: number, code?: string } {
  const script = join(work, `run-${Math.random().toString(36).slice(2)}.mjs`)
  writeFileSync(script, `import { diff, linesSource } from ${JSON.stringify('./app.js')}
let orphans = 0
try {
  const run = diff({ candidates: linesSource(${JSON.stringify(candidates)}), references: linesSource(${JSON.stringify(references)}), tmpdir: ${JSON.stringify(work)}, ${options} })
  for await (const part of run) orphans += part.entries.length
  process.stdout.write(JSON.stringify({ orphans, spilledBytes: run.stats.spilledBytes }))
} catch (error) {
  process.stdout.write(JSON.stringify({ code: error.code }))
}
`)
  const child = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 120_000 })
  assert.equal(child.status, 0, child.stderr)
  return JSON.parse(child.stdout) as { orphans?: number, spilledBytes?: number, code?: string }
}

test('a bundled core without its worker files reads and drains on one thread, with the whole answer', () => {
  // Candidates i % 10 = 0 are orphans; references i % 20 = 5 are missing, so those candidates are orphans too.
  const expected = N / 10 + N / 20
  const inMemory = bundledDiff("memory: '128MiB'")
  assert.deepEqual(inMemory, { orphans: expected, spilledBytes: 0 })
  const spilled = bundledDiff("memory: '8MiB'")
  assert.equal(spilled.orphans, expected)
  assert.ok((spilled.spilledBytes ?? 0) > 0, 'the 8MiB diff spilled')
})

test('a bundled core without its worker files fails a diff that asks for the reading thread', () => {
  assert.deepEqual(bundledDiff('readThread: true'), { code: 'KEYDIFF_SOURCE_FAILED' })
})
