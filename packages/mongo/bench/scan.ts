import { performance } from 'node:perf_hooks'
import { mongoLookup, mongoReferences } from '../src/index.ts'
import { startTestServer } from '../test/helpers/stand-in.ts'

// Prints the reference scan's and the re-check's rates against the test server (the
// stand-in unless KEYDIFF_MONGO_URL is set). The stand-in answers $in by a full scan per
// query, so its re-check figure says nothing of a real server's indexed look-up.
// Bounded: DOCS documents, one run each.
const DOCS = Number(process.env.KEYDIFF_BENCH_DOCS ?? 50_000)
const server = await startTestServer()
try {
  const client = await server.client()
  const coll = client.db('kd_bench').collection('refs')
  await coll.drop().catch(() => {})
  for (let i = 0; i < DOCS; i += 5000) {
    await coll.insertMany(Array.from({ length: Math.min(5000, DOCS - i) }, (_, j) => ({ key: `blobs/${String(i + j).padStart(8, '0')}` })))
  }
  for (const batchSize of [1000, 5000]) {
    const started = performance.now()
    let count = 0
    for await (const batch of mongoReferences({ client, database: 'kd_bench', collection: 'refs', field: 'key', batchSize })) count += batch.length
    const seconds = (performance.now() - started) / 1000
    console.log(`scan ${server.kind} batchSize=${batchSize}: ${count} keys in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)} keys/s`)
  }
  const keys = Array.from({ length: 1000 }, (_, i) => `blobs/${String(i * 7).padStart(8, '0')}`)
  const started = performance.now()
  const found = await mongoLookup({ client, database: 'kd_bench', collection: 'refs', field: 'key' }).has(keys)
  const seconds = (performance.now() - started) / 1000
  console.log(`re-check ${server.kind}: ${keys.length} keys (${found.size} found) in ${seconds.toFixed(2)} s = ${Math.round(keys.length / seconds)} keys/s`)
  await client.db('kd_bench').dropDatabase()
} finally {
  await server.stop()
}
