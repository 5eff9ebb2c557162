import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { S3Client } from '@aws-sdk/client-s3'

export interface S3rverProcess {
  readonly endpoint: string
  /** s3rver's data directory: one folder per bucket, a key's segments as folders. */
  readonly directory: string
  readonly port: number
  client: (endpoint?: string) => S3Client
  stop: () => Promise<void>
}

export interface S3rverStartOptions {
  /** Accept requests whose signature does not match (needed behind a proxy that rewrites bodies). */
  lenient?: boolean
}

/**
 * Starts s3rver 3.7.1 as a child process on a free port of 127.0.0.1 with its own data
 * directory. It runs under --openssl-legacy-provider: without it every truncated
 * ListObjectsV2 page fails on Node 20.
 */
export async function startS3rver (options: S3rverStartOptions = {}): Promise<S3rverProcess> {
  const directory = await mkdtemp(join(tmpdir(), 'keydiff-s3rver-'))
  const script = fileURLToPath(new URL('./s3rver-child.cjs', import.meta.url))
  const child = spawn(process.execPath, ['--openssl-legacy-provider', script, directory, options.lenient === true ? 'lenient' : 'strict'], { stdio: ['ignore', 'pipe', 'pipe'] })
  // A test run that dies must not leave the server behind.
  const killOnExit = (): void => { child.kill('SIGKILL') }
  process.once('exit', killOnExit)
  let stderr = ''
  child.stderr?.on('data', chunk => { stderr += String(chunk) })
  const port = await readPort(child, () => stderr)
  const endpoint = `http://127.0.0.1:${port}`
  const clients: S3Client[] = []
  return {
    endpoint,
    directory,
    port,
    client (override?: string) {
      const client = s3Client(override ?? endpoint)
      clients.push(client)
      return client
    },
    async stop () {
      process.removeListener('exit', killOnExit)
      for (const client of clients) client.destroy()
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

/** An S3Client for s3rver: path-style, its fixed credentials, and checksums only where S3 requires them. */
export function s3Client (endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1
  })
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
