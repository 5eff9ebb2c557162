import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { Client } from 'minio'

export interface S3rverProcess {
  readonly endpoint: string
  /** s3rver's data directory: one folder per bucket, a key's segments as folders. */
  readonly directory: string
  readonly port: number
  /** A minio client for the server, or for another endpoint on 127.0.0.1 (a proxy in front of it). */
  client: (port?: number) => Client
  stop: () => Promise<void>
}

/**
 * Starts s3rver 3.7.1 as a child process on a free port of 127.0.0.1 with its own data
 * directory, under --openssl-legacy-provider (without it every truncated ListObjectsV2 page
 * fails on Node 20). `lenient` accepts requests whose signature does not match, for a proxy
 * that rewrites bodies.
 */
export async function startS3rver (options: { lenient?: boolean } = {}): Promise<S3rverProcess> {
  const directory = await mkdtemp(join(tmpdir(), 'keydiff-minio-s3rver-'))
  const script = fileURLToPath(new URL('./s3rver-child.cjs', import.meta.url))
  const child = spawn(process.execPath, ['--openssl-legacy-provider', script, directory, options.lenient === true ? 'lenient' : 'strict'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const killOnExit = (): void => { child.kill('SIGKILL') }
  process.once('exit', killOnExit)
  let stderr = ''
  child.stderr?.on('data', chunk => { stderr += String(chunk) })
  const port = await readPort(child, () => stderr)
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    port,
    client: (override?: number) => new Client({ endPoint: '127.0.0.1', port: override ?? port, useSSL: false, accessKey: 'S3RVER', secretKey: 'S3RVER', pathStyle: true, region: 'us-east-1' }),
    async stop () {
      process.removeListener('exit', killOnExit)
      if (child.exitCode === null) {
        const exited = new Promise(resolve => child.once('exit', resolve))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
        await exited
        clearTimeout(timer)
      }
      await rm(directory, { recursive: true, force: true, maxRetries: 3 })
    }
  }
}

async function readPort (child: ChildProcess, stderr: () => string): Promise<number> {
  if (child.stdout === null) throw new Error('s3rver: no stdout')
  const lines = createInterface({ input: child.stdout })
  return await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => { fail(new Error(`s3rver did not start within 20s: ${stderr()}`)) }, 20_000)
    const fail = (error: Error): void => { clearTimeout(timer); child.kill('SIGKILL'); reject(error) }
    child.once('exit', code => { fail(new Error(`s3rver exited with code ${String(code)} before listening: ${stderr()}`)) })
    lines.once('line', line => {
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve((JSON.parse(line) as { port: number }).port)
    })
  })
}
