import { mkdir, mkdtemp, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CommandIO } from '../io.ts'
import { parseOptions } from '../parse-options.ts'
import { UsageError } from '../usage-error.ts'
import { diffCommand } from './diff.ts'
import { formatCount } from '@keydiff/core'

export const DEMO_USAGE = `Usage: keydiff demo [--keys N] [--dir DIR]

Generates a content-addressed store listing (blobs/ab/cd/<40 hex>) and a reference list,
about 10% of the stored blobs unreferenced and 5% of the references dangling, then runs
keydiff diff on them and prints the summary and the first orphans.

Options:
  --keys N     stored blobs to generate   (default: 50000)
  --dir DIR    where to write the files   (default: a new temporary directory)
`

/** A small deterministic PRNG (mulberry32), so the demo is the same on every machine. */
function random (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function blobKey (next: () => number): string {
  let hex = ''
  for (let i = 0; i < 5; i++) hex += Math.floor(next() * 0x100000000).toString(16).padStart(8, '0')
  return `blobs/${hex.slice(0, 2)}/${hex.slice(2, 4)}/${hex}`
}

export async function demoCommand (argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseOptions(argv, { keys: { type: 'string' }, dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, DEMO_USAGE)
  if (values.help === true) {
    io.stdout.write(DEMO_USAGE)
    return 0
  }
  const count = Number(values.keys ?? 50_000)
  if (!Number.isInteger(count) || count < 1) throw new UsageError('--keys must be a positive integer', DEMO_USAGE)
  const dir = values.dir ?? await mkdtemp(join(tmpdir(), 'keydiff-demo-'))
  await mkdir(dir, { recursive: true })
  const next = random(42)
  const stored: string[] = []
  const referenced: string[] = []
  for (let i = 0; i < count; i++) {
    const key = blobKey(next)
    stored.push(key)
    if (next() >= 0.10) referenced.push(key)
  }
  const dangling = Math.round(referenced.length * 0.05)
  for (let i = 0; i < dangling; i++) referenced.push(blobKey(next))
  shuffle(referenced, next)
  const candidates = join(dir, 'stored.txt')
  const references = join(dir, 'referenced.txt')
  const orphans = join(dir, 'orphans.txt')
  const missing = join(dir, 'missing.txt')
  await writeFile(candidates, stored.join('\n') + '\n')
  await writeFile(references, referenced.join('\n') + '\n')

  io.stderr.write(`keydiff demo: ${formatCount(count)} stored blobs in ${candidates}\n` +
    `              ${formatCount(referenced.length)} references in ${references}\n\n` +
    `$ keydiff diff --candidates ${candidates} --references ${references} --output ${orphans} --missing ${missing}\n`)
  const code = await diffCommand(['--candidates', candidates, '--references', references, '--output', orphans, '--missing', missing], io)
  if (code !== 0) return code
  const first = (await readFile(orphans, 'utf8')).split('\n').slice(0, 5)
  io.stdout.write(`\nFirst orphans (all in ${orphans}):\n${first.map(key => `  ${key}`).join('\n')}\n`)
  return 0
}

function shuffle<T> (items: T[], next: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    const item = items[i] as T
    items[i] = items[j] as T
    items[j] = item
  }
}
