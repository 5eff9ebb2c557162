import { startGcsServer } from '../src/testing.ts'

// The stand-in in its own process, so that the client under test has the event loop to itself.
const server = await startGcsServer({ latencyMs: Number(process.env.GCS_BENCH_LATENCY_MS ?? 0) })
process.on('message', (message: { fill?: string, count?: number, size?: number }) => {
  if (message.fill !== undefined) {
    if (!server.store.buckets.has(message.fill)) server.store.createBucket(message.fill)
    for (let i = 0; i < (message.count ?? 0); i++) {
      server.store.put(message.fill, `blobs/${(i * 2654435761 % 2 ** 32).toString(16).padStart(8, '0')}/${i}`, Buffer.alloc(message.size ?? 1))
    }
    process.send?.({ filled: message.fill })
  }
})
process.on('disconnect', () => { void server.close().then(() => process.exit(0)) })
process.send?.({ endpoint: server.endpoint })
