import { createHash } from 'node:crypto'
import { loadavg } from 'node:os'
import { arraySource, diff, type KeySource } from '@keydiff/core'

/** One measured reading: a label and the source to read. */
export type BenchCase = readonly [label: string, open: () => KeySource | PromiseLike<KeySource>]

export interface BenchReferencesInit {
  /** `postgres`, `mysql`: the first word of each line. */
  adapter: string
  /** Rows of the bench table: keys `blobs/ab/cd/<40 hex>` of md5(n) and md5(-n), n = 1..rows. */
  rows: number
  /** Sources read on their own, counting rows. */
  reads: readonly BenchCase[]
  /** Sources read by the engine as diff()'s references. */
  diffs: readonly BenchCase[]
}

/**
 * Rows per second out of a database, read on their own and into the engine (the reference
 * phase of diff() against candidates of the table's shape; the whole run shown beside it).
 */
export async function benchReferences (init: BenchReferencesInit): Promise<void> {
  for (const [label, open] of init.reads) {
    const source = await open()
    const t = performance.now()
    let count = 0
    for await (const batch of source) count += batch.length
    reportRate(init.adapter, label, count, (performance.now() - t) / 1000)
  }
  const candidates = candidateKeys(Math.min(500_000, Math.floor(init.rows / 5)), init.rows)
  for (const [label, open] of init.diffs) {
    const references = await open()
    let referencesDone = 0
    const listing = arraySource(candidates, { batchSize: 10_000 })
    const timed: KeySource = { name: 'candidates', sorted: false, [Symbol.asyncIterator]: () => { referencesDone = performance.now(); return listing[Symbol.asyncIterator]() } }
    const t = performance.now()
    const run = diff({ candidates: timed, references })
    let orphans = 0
    for await (const part of run) orphans += part.entries.length
    const total = (performance.now() - t) / 1000
    reportRate(init.adapter, label, run.stats.references.count, (referencesDone - t) / 1000, `  (whole diff ${total.toFixed(2)} s, ${candidates.length} candidates, ${orphans} orphans)`)
  }
}

/** One line of the bench's output: rows, seconds, rows per second and the machine's load. */
export function reportRate (adapter: string, label: string, count: number, seconds: number, extra = ''): void {
  const load = `load ${loadavg().map(n => n.toFixed(1)).join(' ')}`
  console.log(`${adapter} ${label.padEnd(44)} ${count} rows  ${seconds.toFixed(2)} s  ${(count / seconds / 1e6).toFixed(2)}M rows/s${extra}  (${load})`)
}

/** The same source without its byte path, so the engine reads its string batches. */
export function asBatches (source: KeySource): KeySource {
  return {
    name: source.name,
    sorted: source.sorted,
    estimatedCount: source.estimatedCount,
    [Symbol.asyncIterator]: () => source[Symbol.asyncIterator]()
  }
}

/** The candidates: keys 1..n of the table's shape (all referenced) and as many that are not. */
function candidateKeys (n: number, rows: number): string[] {
  const key = (g: number): string => {
    const h = createHash('md5').update(String(g)).digest('hex') + createHash('md5').update(String(-g)).digest('hex').slice(0, 8)
    return `blobs/${h.slice(0, 2)}/${h.slice(2, 4)}/${h}`
  }
  return Array.from({ length: 2 * n }, (_, i) => i < n ? key(i + 1) : key(rows + i))
}
