import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const SOURCE_BIN = fileURLToPath(new URL('./source-bin.ts', import.meta.url))
const run = promisify(execFile)

/**
 * A Redis database of a test file's own (bullmq's tests use 7; the CLI's 8, 9, 10, 11 and 12), and
 * the `keydiff worker` processes the file starts on one queue: `start` resolves once a worker
 * serves the queue, `stop` kills what is left and flushes the database.
 */
export class QueueWorkers {
  readonly url: string
  private readonly children = new Set<ChildProcess>()

  constructor (private readonly db: number, readonly queue: string) {
    this.url = `redis://127.0.0.1:6379/${db}`
  }

  async redis (...args: string[]): Promise<string> {
    return (await run('redis-cli', ['-h', '127.0.0.1', '-p', '6379', '-n', String(this.db), ...args])).stdout
  }

  /** Empties the database; a Redis that does not answer fails the file, saying where it was looked for. */
  async flush (): Promise<void> {
    try {
      await this.redis('FLUSHDB')
    } catch (error) {
      throw new Error(`keydiff run --queue is tested against Redis at ${this.url}: ${(error as Error).message}`)
    }
  }

  /** `keydiff worker` from the sources, in a process of its own. */
  async start (shared: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=keydiff-source', '--no-warnings', SOURCE_BIN, 'worker', '--queue', this.url, '--shared', shared, '--queue-name', this.queue], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe']
    })
    this.children.add(child)
    // stderr is read to its end: a worker whose log pipe closed would die of EPIPE at its next line
    let seen = ''
    return await new Promise<ChildProcess>((resolve, reject) => {
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        seen += chunk
        if (seen.includes('serving queue')) resolve(child)
      })
      child.once('exit', () => { reject(new Error(`keydiff worker exited before serving: ${seen}`)) })
    })
  }

  async stop (): Promise<void> {
    await Promise.all([...this.children].map(async child => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGKILL')
      await exited
    }))
    await this.redis('FLUSHDB').catch(() => '')
  }
}
