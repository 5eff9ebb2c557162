// Listing speed-up with workers: a store that answers each page of 1,000 keys after 100 ms
// (one listing stream of about 10,000 keys/s, as S3 gives) planned in 8 shards by 1, 2, 4 and
// 8 worker processes. Writes a table to bench/results/bullmq-listing-latency.md at the repo root.
//   node --import tsx --conditions=keydiff-source bench/listing-latency.ts [--keys 160000]
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { hexRanges, planDistributed } from '../src/index.ts'
import type { LatencyRun } from './latency-opener.ts'

const { values } = parseArgs({ options: { keys: { type: 'string' }, redis: { type: 'string' }, workers: { type: 'string' } } })
const REDIS = values.redis ?? 'redis://127.0.0.1:6379/9'
const run: LatencyRun = { keys: Number(values.keys ?? '160000'), page: 1000, latencyMs: 100 }
const counts = (values.workers ?? '1,2,4,8').split(',').map(Number)
const SHARDS = 8
const here = new URL('.', import.meta.url).pathname

const redis = new Redis(REDIS)
await redis.flushdb()
const shared = await mkdtemp(join(tmpdir(), 'keydiff-bench-'))
const rows: string[] = []
try {
  for (const count of counts) {
    const queue = `bench-${count}`
    const workers: ChildProcess[] = []
    try {
      await Promise.all(Array.from({ length: count }, async () => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=keydiff-source', join(here, 'latency-worker.ts')], { env: { ...process.env, KD_REDIS: REDIS, KD_QUEUE: queue, KD_SHARED: shared }, stdio: ['ignore', 'pipe', 'inherit'] })
        workers.push(child)
        await new Promise<void>((resolve, reject) => {
          child.stdout?.setEncoding('utf8').on('data', (text: string) => { if (text.includes('ready')) resolve() })
          child.once('exit', () => { reject(new Error('a worker exited before it was ready')) })
        })
      }))
      const started = performance.now()
      const plan = await planDistributed({ connection: REDIS, queue, shared, description: run, ranges: hexRanges(SHARDS, { prefix: 'k/' }), run: `bench-${count}` })
      const seconds = (performance.now() - started) / 1000
      const listed = plan.manifest.counts.candidates
      if (listed !== run.keys) throw new Error(`listed ${listed} of ${run.keys} keys`)
      const row = `| ${count} | ${SHARDS} | ${listed.toLocaleString('en-US')} | ${seconds.toFixed(2)} | ${Math.round(listed / seconds).toLocaleString('en-US')} |`
      console.log(row)
      rows.push(row)
    } finally {
      await Promise.all(workers.map(async child => { const exited = once(child, 'exit'); child.kill('SIGKILL'); await exited }))
    }
  }
} finally {
  await redis.flushdb()
  redis.disconnect()
  await rm(shared, { recursive: true, force: true })
}

const out = new URL('../../../bench/results/', import.meta.url).pathname
await mkdir(out, { recursive: true })
await writeFile(join(out, 'bullmq-listing-latency.md'), `# Distributed listing: keys/s with 1, 2, 4 and 8 workers

A store that answers each listing page of ${run.page.toLocaleString('en-US')} keys after ${run.latencyMs} ms (one stream:
about ${(run.page * 1000 / run.latencyMs).toLocaleString('en-US')} keys/s, the rate of one S3 ListObjectsV2 stream), planned in ${SHARDS} key-range shards
(\`hexRanges(${SHARDS})\`) by worker processes on one Redis; the time is from adding the flow to the
manifest written. Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores shared with other work
(load average ${loadavg()[0]?.toFixed(0) ?? '?'} at the end: past 2 workers the processes contend for CPU, not for the store),
Node ${process.version}, by \`packages/bullmq/bench/listing-latency.ts --keys ${run.keys}\`.

| workers | shards | keys listed | seconds | keys/s |
| ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}
`)
