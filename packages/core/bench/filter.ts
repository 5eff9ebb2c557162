/**
 * The Bloom prefilter benchmark: add and check throughput at 1M and 10M keys shaped like
 * `blobs/ab/cd/<40 hex>`, against bloom-filters, bloomfilter and a JS Set, and the measured
 * false-positive rate against the blocked prediction. Prints a Markdown table and writes it
 * to bench/results/filter.md. `--quick` runs 1M keys only.
 */
import { cpus, loadavg } from 'node:os'
import { mkdir, writeFile } from 'node:fs/promises'
import { setTimeout } from 'node:timers/promises'
import b from 'benny'
import { SplitBlockBloomFilter, predictedFalsePositiveRate } from '../src/index.ts'
import type { KeyEntry } from '../src/index.ts'
import { BATCH, blobBatches } from './keys.ts'
import { bloomFiltersPackage, bloomfilterPackage, jsSet, keydiffReference, keydiffWasm, keydiffWasmHashJsBits } from './contenders.ts'
import type { Contender } from './contenders.ts'

const quick = process.argv.includes('--quick')
const SIZES = quick ? [1_000_000] : [1_000_000, 10_000_000]
// bloom-filters adds ~50k keys a second: filling it with 10M keys would take minutes, so it
// is filled with at most this many keys (its per-key cost does not depend on the fill).
const SLOW_FILL = 200_000
const out = new Uint8Array(BATCH)
const rows: string[] = []
const fmt = (keysPerSecond: number): string => `${(keysPerSecond / 1e6).toFixed(keysPerSecond < 1e6 ? 3 : 1)}M`

async function perBatch (name: string, contender: Contender, op: 'add' | 'check', batches: KeyEntry[][]): Promise<number> {
  let i = 0
  let keysPerSecond = 0
  const full = batches.filter((batch) => batch.length === BATCH)
  await b.suite(`${name} ${op}`,
    b.add(contender.name, op === 'add'
      ? () => { contender.add(full[i++ % full.length] as KeyEntry[]) }
      : () => { contender.check(full[i++ % full.length] as KeyEntry[], out) },
    { minSamples: 5, maxTime: 1.5 }),
    b.complete((summary) => { keysPerSecond = (summary.results[0]?.ops ?? 0) * BATCH })
  )
  return keysPerSecond
}

const collect = (globalThis as { gc?: () => void }).gc ?? (() => {})

/** Keys a second over wall time, and per second of this process's CPU time (one core). */
function timed (keys: number, work: () => void): { wall: number, cpu: number } {
  const cpu = process.cpuUsage()
  const started = performance.now()
  work()
  const used = process.cpuUsage(cpu)
  return { wall: keys / ((performance.now() - started) / 1000), cpu: keys / ((used.user + used.system) / 1e6) }
}

async function throughput (count: number): Promise<void> {
  const batches = blobBatches(count, 1)
  const factories = [keydiffWasm, keydiffWasmHashJsBits, keydiffReference, bloomfilterPackage, bloomFiltersPackage, jsSet]
  for (const factory of factories) {
    // Settle the heap first: concurrent GC threads would count in this process's CPU time.
    collect()
    // A full collection of a 1 GB heap leaves concurrent sweeping behind, whose threads count
    // in this process's CPU time and whose walk through the heap evicts the filter from cache.
    await setTimeout(1000)
    const contender = factory(count)
    const slow = factory === bloomFiltersPackage
    const fillBatches = slow ? batches.slice(0, SLOW_FILL / BATCH) : batches
    const filled = fillBatches.reduce((sum, batch) => sum + batch.length, 0)
    const fill = timed(filled, () => { for (const batch of fillBatches) contender.add(batch) })
    const pass = timed(filled, () => { for (const batch of fillBatches) contender.check(batch, out) })
    let missed = 0
    for (const batch of fillBatches.slice(0, 50)) {
      contender.check(batch, out)
      for (let i = 0; i < batch.length; i++) missed += out[i] === 0 ? 1 : 0
    }
    if (missed > 0) throw new Error(`${contender.name} lost ${missed} keys`)
    const add = await perBatch(`${count}`, contender, 'add', fillBatches)
    const check = await perBatch(`${count}`, contender, 'check', fillBatches)
    const note = slow ? ` (filled with ${filled.toLocaleString('en')})` : ''
    rows.push(`| ${contender.name}${note} | ${count.toLocaleString('en')} | ${fmt(fill.cpu)} | ${fmt(pass.cpu)} | ${fmt(fill.wall)} | ${fmt(pass.wall)} | ${fmt(add)} | ${fmt(check)} | ${loadavg()[0]?.toFixed(2)} |`)
    console.log(rows.at(-1))
  }
}

function falsePositives (): string[] {
  const count = 1_000_000
  const probes = 4_000_000
  const keys = blobBatches(count, 3)
  const lines: string[] = []
  for (const bitsPerKey of [8, 10.5, 16, 17]) {
    const blocks = Math.round(count * bitsPerKey / 256)
    const filter = new SplitBlockBloomFilter(blocks)
    for (const batch of keys) filter.addBatch(batch)
    let hits = 0
    for (let done = 0; done < probes; done += count) {
      for (const batch of blobBatches(count, 1000 + done / count + bitsPerKey * 10)) {
        filter.checkBatch(batch, out)
        for (let i = 0; i < batch.length; i++) hits += out[i] as number
      }
    }
    const measured = hits / probes
    const predicted = predictedFalsePositiveRate(count, blocks)
    const spec = Math.pow(1 - Math.exp(-8 / bitsPerKey), 8)
    lines.push(`| ${bitsPerKey} | ${(measured * 100).toFixed(3)}% | ${(predicted * 100).toFixed(3)}% | ${(measured / predicted).toFixed(3)} | ${(spec * 100).toFixed(3)}% | ${(measured / spec).toFixed(2)}× |`)
    console.log(lines.at(-1))
  }
  return lines
}

for (const size of SIZES) await throughput(size)
const rates = falsePositives()

const cpu = cpus()[0]?.model ?? 'unknown CPU'
const load = loadavg().map((n) => n.toFixed(1)).join(', ')
const report = [
  '# Bloom prefilter benchmark',
  '',
  `Machine: ${cpu}, ${cpus().length} cores shared with other developers' test runs, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, load average at the end ${load} (1, 5, 15 min). One core per run; the *load* column says how busy the machine was.`,
  '',
  '## Throughput',
  '',
  `Keys like \`blobs/ab/cd/<40 hex>\` (52 bytes), batches of ${BATCH}; filters sized for 1% false positives. *Fill* and *check pass* are one pass adding, then checking, every key (present keys), as keys per second of the process's CPU time (one core, what the machine's other load does not take) and of wall time; *add* and *check* are benny ops of one batch each, wall time, shown as keys a second; *load* is the 1-minute load average when the row was done. All keys are generated (flat strings) before the runs and stay in memory: about 1 GB at 10M keys, which the runs stream through the cache, so a 12 MB filter is partly evicted to memory between passes, as it would be in a real run whose keys stream in.`,
  '',
  '| implementation | keys | fill, CPU | check pass, CPU | fill, wall | check pass, wall | add (benny) | check (benny) | load |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows,
  '',
  '## False-positive rate',
  '',
  '1,000,000 keys in a filter of `round(keys × bits / 256)` blocks, 4,000,000 absent probes. *Predicted* is the blocked filter\'s Poisson mixture over block loads (what `create` sizes from); *spec formula* is the Parquet spec\'s unblocked `(1 − e^(−8/bits))^8`.',
  '',
  '| bits/key | measured | predicted | measured/predicted | spec formula | measured/spec |',
  '|---:|---:|---:|---:|---:|---:|',
  ...rates,
  ''
].join('\n')
console.log(`\n${report}`)
if (!quick) {
  const results = new URL('../../../bench/results/', import.meta.url)
  await mkdir(results, { recursive: true })
  await writeFile(new URL('filter.md', results), report)
}
