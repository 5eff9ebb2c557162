// The micro benchmarks (`npm run bench`): hashing, Bloom filter add and check, source parsing,
// and the kept index's put and get, each through @keydiff/core's public API with benny. Prints
// one table of keys a second and writes it to results/micro.md. `--quick` samples less.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import b from 'benny'
import {
  ReferenceIndex,
  SplitBlockBloomFilter,
  arraySource,
  csvSource,
  diffIndex,
  hashBatch,
  jsonLinesSource,
  linesSource,
  type KeyEntry,
  type KeySource
} from '@keydiff/core'
import { workloadKeys } from './workload.ts'

const quick = process.argv.includes('--quick')
const BATCH = 4096
// Keys behind the filter and the index: the filter (1.2 MiB) stays in cache, as a filter of
// one partition does; the index is large enough that LevelDB reads from its tables, not the memtable.
const FILTER_KEYS = 1_000_000
const FILE_KEYS = 200_000
const INDEX_KEYS = 200_000
const LOOKUPS = 20_000
const timing = quick ? { minSamples: 3, maxTime: 0.5 } : { minSamples: 5, maxTime: 2 }

interface Row { name: string, keysPerOp: number, opsPerSecond: number, margin: number }
const rows: Row[] = []

async function suite (title: string, cases: Array<{ name: string, keysPerOp: number, op: () => unknown }>): Promise<void> {
  await b.suite(title,
    ...cases.map(({ name, op }) => b.add(name, op, timing)),
    b.cycle(),
    b.complete((summary) => {
      for (const result of summary.results) {
        const keysPerOp = cases.find(c => c.name === result.name)?.keysPerOp ?? 1
        // benny rounds `ops` to a whole number: a slow op's rate comes from its mean time.
        rows.push({ name: `${title}: ${result.name}`, keysPerOp, opsPerSecond: 1 / result.details.mean, margin: result.margin })
      }
    })
  )
}

async function drain (source: KeySource): Promise<number> {
  let count = 0
  for await (const batch of source) count += batch.length
  return count
}

const work = mkdtempSync(join(tmpdir(), 'keydiff-micro-'))
try {
  const keys = workloadKeys(FILTER_KEYS)
  const batches: KeyEntry[][] = []
  for (let i = 0; i + BATCH <= keys.length; i += BATCH) batches.push(keys.slice(i, i + BATCH).map(key => ({ key })))
  let next = 0
  const batch = (): KeyEntry[] => batches[next++ % batches.length] as KeyEntry[]

  const hashes = new Uint32Array(BATCH * 2)
  await suite('hashing', [
    { name: 'hashBatch (XXH64 of each key, WebAssembly)', keysPerOp: BATCH, op: () => hashBatch(batch(), hashes) }
  ])

  const filter = SplitBlockBloomFilter.create({ expectedCount: FILTER_KEYS, falsePositiveRate: 0.01 })
  for (const each of batches) filter.addBatch(each)
  const maybe = new Uint8Array(BATCH)
  await suite('filter', [
    { name: 'addBatch', keysPerOp: BATCH, op: () => filter.addBatch(batch()) },
    { name: 'checkBatch', keysPerOp: BATCH, op: () => filter.checkBatch(batch(), maybe) }
  ])

  const fileKeys = keys.slice(0, FILE_KEYS)
  const lines = join(work, 'keys.txt')
  const jsonl = join(work, 'keys.jsonl')
  const csv = join(work, 'keys.csv')
  writeFileSync(lines, fileKeys.join('\n') + '\n')
  writeFileSync(jsonl, fileKeys.map((key, i) => JSON.stringify({ url: key, bytes: i })).join('\n') + '\n')
  writeFileSync(csv, 'id,key,bytes\n' + fileKeys.map((key, i) => `${i},${key},${i}`).join('\n') + '\n')
  await suite('source parsing', [
    { name: 'linesSource', keysPerOp: FILE_KEYS, op: async () => await drain(linesSource(lines)) },
    { name: 'jsonLinesSource', keysPerOp: FILE_KEYS, op: async () => await drain(jsonLinesSource(jsonl, { field: 'url', sizeField: 'bytes' })) },
    { name: 'csvSource', keysPerOp: FILE_KEYS, op: async () => await drain(csvSource(csv, { column: 'key', sizeColumn: 'bytes' })) }
  ])

  const indexKeys = keys.slice(0, INDEX_KEYS).map(key => ({ key }))
  let built = 0
  await suite('index', [
    {
      name: `put (add ${INDEX_KEYS.toLocaleString('en-US')} references to a new index)`,
      keysPerOp: INDEX_KEYS,
      op: async () => {
        const directory = join(work, `put-${built++}`)
        const index = await ReferenceIndex.open(directory, { create: true, expectedCount: INDEX_KEYS })
        await index.add(arraySource(indexKeys), { memory: '64MiB' })
        await index.close()
        await ReferenceIndex.drop(directory)
      }
    }
  ])
  const index = await ReferenceIndex.open(join(work, 'get'), { create: true, expectedCount: INDEX_KEYS })
  await index.add(arraySource(indexKeys), { memory: '64MiB', source: 'bench' })
  // Half of the looked-up keys are in the index, half are not.
  const lookups = [...keys.slice(0, LOOKUPS / 2), ...keys.slice(INDEX_KEYS, INDEX_KEYS + LOOKUPS / 2)].map(key => ({ key }))
  let point = 0
  await suite('index', [
    { name: 'get (why: one key, which sources hold it)', keysPerOp: 1, op: async () => await index.why(lookups[point++ % lookups.length]?.key as string) },
    {
      name: `get (diffIndex lookup of ${LOOKUPS.toLocaleString('en-US')} candidates, half orphans)`,
      keysPerOp: LOOKUPS,
      op: async () => {
        let found = 0
        for await (const part of diffIndex({ candidates: arraySource(lookups), index, strategy: 'lookup', memory: '64MiB' })) found += part.entries.length
        if (found !== LOOKUPS / 2) throw new Error(`diffIndex found ${found} orphans, not ${LOOKUPS / 2}`)
      }
    }
  ])
  await index.close()
} finally {
  rmSync(work, { recursive: true, force: true })
}

const million = (n: number): string => n >= 1e5 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(1)}k`
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}, load ${loadavg()[0]?.toFixed(2)}, ${new Date().toISOString().slice(0, 10)}`
const table = [
  '| benchmark | keys an op | ops/s | keys/s | ± |',
  '| --- | --- | --- | --- | --- |',
  ...rows.map(row => `| ${row.name} | ${row.keysPerOp.toLocaleString('en-US')} | ${row.opsPerSecond.toFixed(row.opsPerSecond < 100 ? 2 : 0)} | ${million(row.opsPerSecond * row.keysPerOp)} | ${row.margin.toFixed(1)}% |`)
].join('\n')
const report = `# Micro benchmarks\n\n${machine}${quick ? ', --quick' : ''}. Keys shaped like \`blobs/ab/cd/<40 hex>\` (52 bytes).\n\n${table}\n`
process.stdout.write('\n' + report)
writeFileSync(fileURLToPath(new URL('../results/micro.md', import.meta.url)), report)
