import { resolve } from 'node:path'
import { LineWriter, type CommandIO } from '../io.ts'
import { parseOptions } from '../parse-options.ts'
import { withoutPasswords } from '../printable.ts'
import { UsageError } from '../usage-error.ts'
import { queueOpener } from './queue-opener.ts'

export const WORKER_USAGE = `Usage: keydiff worker --queue <redis-url> --shared <dir> [--concurrency <n>]

Serves distributed runs (keydiff run --queue): plans key-range shards and applies plan
parts, as many at a time as --concurrency, until stopped (SIGINT or SIGTERM: the jobs in
hand finish first). Start any number of workers, on any machines that reach the Redis
and mount the shared directory. Each opens stores and databases with its own
environment: the \${VAR} secrets of a run are read here, never sent through Redis.

Options:
  --queue <redis-url>  Redis, as redis://host:6379/0                 (required)
  --shared <dir>       the directory every worker and the run share:
                       plan parts, manifests and audit logs            (required)
  --queue-name <name>  the queue                                       (default: keydiff)
  --concurrency <n>    jobs at a time                                  (default: 1)
  -h, --help           show this help
`

export async function workerCommand (argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseOptions(argv, {
    queue: { type: 'string' },
    shared: { type: 'string' },
    'queue-name': { type: 'string' },
    concurrency: { type: 'string' },
    help: { type: 'boolean', short: 'h' }
  }, WORKER_USAGE)
  if (values.help === true) {
    await new LineWriter(io.stdout, false).write(WORKER_USAGE)
    return 0
  }
  if (values.queue === undefined) throw new UsageError('--queue is required (redis://host:6379/0)', WORKER_USAGE)
  if (values.shared === undefined) throw new UsageError('--shared is required: the directory the workers and the run share', WORKER_USAGE)
  const concurrency = Number(values.concurrency ?? '1')
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency ${JSON.stringify(values.concurrency)} is not a positive integer`, WORKER_USAGE)
  const { startWorker } = await import('@keydiff/bullmq')
  const say = (line: string): void => { io.stderr.write(`keydiff worker: ${line}\n`) }
  const queueName = values['queue-name'] ?? 'keydiff'
  const worker = await startWorker({
    connection: values.queue,
    queue: queueName,
    shared: resolve(values.shared),
    opener: queueOpener(process.env),
    concurrency,
    onJob: job => { say(`${job.name} ${job.id} ${job.outcome}${job.reason === undefined ? '' : `: ${job.reason}`}`) },
    onError: error => { say(`connection: ${error.message}`) }
  })
  say(`serving queue ${queueName} on ${withoutPasswords(values.queue)} (concurrency ${concurrency})`)
  const signal = await new Promise<string>(resolve => {
    process.once('SIGINT', () => { resolve('SIGINT') })
    process.once('SIGTERM', () => { resolve('SIGTERM') })
  })
  say(`${signal}: finishing the jobs in hand`)
  await worker.close()
  return 0
}
