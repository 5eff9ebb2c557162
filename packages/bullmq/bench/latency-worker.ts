// A worker process of the listing benchmark: KD_REDIS, KD_QUEUE and KD_SHARED from its environment.
import { startWorker } from '../src/index.ts'
import { latencyOpener } from './latency-opener.ts'

const worker = await startWorker({
  connection: process.env.KD_REDIS as string,
  queue: process.env.KD_QUEUE as string,
  shared: process.env.KD_SHARED as string,
  opener: latencyOpener,
  progressInterval: 500
})
process.stdout.write('ready\n')
process.stdout.on('error', () => {})
process.on('SIGTERM', () => { worker.close().then(() => process.exit(0), () => process.exit(1)) })
