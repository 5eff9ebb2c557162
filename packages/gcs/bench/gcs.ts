import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { Storage } from '@google-cloud/storage'
import type { KeyEntry, Sink } from '@keydiff/core'
import { gcsDeleteSink, gcsSource, hexSplitPoints } from '../src/index.ts'

// Listing and delete throughput against the test stand-in (not GCS), at 0 ms and at a
// simulated round trip. Prints numbers only; nothing here asserts on time.
const COUNT = Number(process.env.GCS_BENCH_KEYS ?? 5000)
const LATENCIES = [0, Number(process.env.GCS_BENCH_RTT_MS ?? 20)]

async function startServer (latencyMs: number): Promise<{ child: ChildProcess, endpoint: string }> {
  const child = fork(fileURLToPath(new URL('./server-process.ts', import.meta.url)), {
    execArgv: ['--import', 'tsx', '--conditions=keydiff-source'],
    env: { ...process.env, GCS_BENCH_LATENCY_MS: String(latencyMs) }
  })
  const [message] = await once(child, 'message') as [{ endpoint: string }]
  return { child, endpoint: message.endpoint }
}

async function fill (child: ChildProcess, bucket: string): Promise<void> {
  child.send({ fill: bucket, count: COUNT })
  await once(child, 'message')
}

async function timed (label: string, fn: () => Promise<number>): Promise<void> {
  const start = performance.now()
  const count = await fn()
  const seconds = (performance.now() - start) / 1000
  console.log(`${label.padEnd(52)} ${String(count).padStart(7)} keys ${seconds.toFixed(2).padStart(7)} s ${Math.round(count / seconds).toString().padStart(8)} keys/s`)
}

async function listAll (storage: Storage, bucket: string, splitPoints: string[]): Promise<KeyEntry[]> {
  const out: KeyEntry[] = []
  for await (const batch of gcsSource({ client: storage, bucket, splitPoints, concurrency: 4 })) out.push(...batch)
  return out
}

async function deleteAll (sink: Sink, entries: readonly KeyEntry[]): Promise<number> {
  let done = 0
  for (let i = 0; i < entries.length; i += 1000) {
    const outcomes = await sink.apply(entries.slice(i, i + 1000))
    done += outcomes.filter(outcome => outcome.ok).length
  }
  return done
}

let run = 0
for (const latency of LATENCIES) {
  const { child, endpoint } = await startServer(latency)
  const storage = new Storage({ apiEndpoint: endpoint, projectId: 'bench' })
  console.log(`\n# ${COUNT} objects, ${latency} ms added per response`)
  try {
    const bucket = `bench-${++run}`
    await fill(child, bucket)
    await timed('list, 1 range', async () => (await listAll(storage, bucket, [])).length)
    await timed('list, 16 hex ranges, 4 at a time', async () => (await listAll(storage, bucket, hexSplitPoints('blobs/', 16))).length)
    const entries = await listAll(storage, bucket, [])
    for (const [label, options] of [
      ['delete, one request per object, concurrency 16', { concurrency: 16 }],
      ['delete, one request per object, concurrency 64', { concurrency: 64 }],
      ['delete, JSON batch of 100, 4 batches at a time', { jsonBatch: true, concurrency: 4 }]
    ] as const) {
      const target = `bench-${++run}`
      await fill(child, target)
      const planned = entries.map(entry => ({ key: entry.key }))
      await timed(label, async () => await deleteAll(gcsDeleteSink({ client: storage, bucket: target, ...options }), planned))
    }
  } finally {
    child.disconnect()
    await once(child, 'exit')
  }
}
