import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { S3Client } from '@aws-sdk/client-s3'
import { KeydiffError, type KeyEntry } from '@keydiff/core'
import { createBucket, exists, listKeys, removeBucket } from './buckets.ts'
import { startFaultProxy, type FaultProxy, type FaultRule } from './fault-proxy.ts'

/** s3rver's fixed credentials, for a client of another library (a `Minio.Client`, say). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const

export interface S3rverOptions {
  /**
   * Accept requests whose signature does not match, as behind a fault proxy that rewrites
   * request bodies (and so their checksums). @default false
   */
  lenient?: boolean
  /**
   * `maxAttempts` of the clients that `client()` makes; 1 lets a test count the requests an
   * adapter's own retries send. @default the SDK's (3)
   */
  maxAttempts?: number
}

/**
 * An S3-compatible server for tests (s3rver, an optional peer dependency that users' own
 * tests install next to this package), published so that users' tests of their sweeps can
 * run against the same server as this package's tests, as core publishes its conformance suite.
 */
export interface S3rverServer {
  /** e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string
  readonly port: number
  /** s3rver's data directory: a folder per bucket, a key's segments as folders. */
  readonly directory: string
  /**
   * A path-style client with s3rver's fixed credentials, for the server or for another
   * endpoint in front of it (a fault proxy); destroyed by stop().
   */
  client: (endpoint?: string) => S3Client
  /**
   * Creates a bucket (named `options.bucket`, or a unique name) holding `entries`, each an
   * object of its `size` bytes (default 1). Over 100 entries are written straight into
   * s3rver's directory, as PutObject on s3rver manages a few hundred objects a second.
   * @returns the bucket's name
   */
  createBucket: (entries?: readonly KeyEntry[], options?: { bucket?: string }) => Promise<string>
  /** Removes a bucket and everything in it. */
  removeBucket: (bucket: string) => Promise<void>
  /** Every key of a bucket (under a prefix), read plainly with ListObjectsV2. */
  listKeys: (bucket: string, prefix?: string) => Promise<string[]>
  /** Whether the object exists (HeadObject). */
  exists: (bucket: string, key: string) => Promise<boolean>
  /** A fault proxy in front of this server (see `startFaultProxy`), closed by stop(). */
  startFaultProxy: (rule?: FaultRule) => Promise<FaultProxy>
  /** Stops the server and its fault proxies and removes its data directory. */
  stop: () => Promise<void>
}

// s3rver 3.7.1 signs continuation tokens with a cipher that OpenSSL 3 offers only under
// --openssl-legacy-provider, so it runs in a child process started with that flag.
const CHILD = `
const S3rver = require('s3rver')
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[1], allowMismatchedSignatures: process.argv[2] === 'lenient' })
server.run().then(address => { process.stdout.write(JSON.stringify({ port: address.port }) + '\\n') },
  error => { process.stderr.write(String(error && error.stack) + '\\n'); process.exit(1) })
process.on('SIGTERM', () => { server.close().finally(() => process.exit(0)) })
`

/**
 * Starts s3rver on a free port of 127.0.0.1 with a fresh data directory.
 * @throws KeydiffError `KEYDIFF_CONFIG_INVALID` when the s3rver package cannot be found.
 */
export async function startS3rver (options: S3rverOptions = {}): Promise<S3rverServer> {
  requireS3rver()
  const directory = await mkdtemp(join(tmpdir(), 'keydiff-s3rver-'))
  // From the package's folder, require() finds s3rver in the workspace's node_modules.
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD, directory, options.lenient === true ? 'lenient' : 'strict'], { cwd: dirname(fileURLToPath(import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] })
  // A test run that dies must not leave the server behind.
  const killOnExit = (): void => { child.kill('SIGKILL') }
  process.once('exit', killOnExit)
  let stderr = ''
  child.stderr?.on('data', chunk => { stderr += String(chunk) })
  let port: number
  try {
    port = await readPort(child, () => stderr)
  } catch (error) {
    process.removeListener('exit', killOnExit)
    await rm(directory, { recursive: true, force: true })
    throw error
  }
  const endpoint = `http://127.0.0.1:${port}`
  const clients: S3Client[] = []
  const client = (at = endpoint): S3Client => {
    const made = new S3Client({
      endpoint: at,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts })
    })
    clients.push(made)
    return made
  }
  let admin: S3Client | undefined
  const own = (): S3Client => { admin ??= client(); return admin }
  const proxies: FaultProxy[] = []
  return {
    endpoint,
    port,
    directory,
    client,
    createBucket: async (entries = [], bucketOptions = {}) => await createBucket(own(), directory, entries, bucketOptions.bucket),
    removeBucket: async bucket => { await removeBucket(directory, bucket) },
    listKeys: async (bucket, prefix) => await listKeys(own(), bucket, prefix),
    exists: async (bucket, key) => await exists(own(), bucket, key),
    async startFaultProxy (rule) {
      const proxy = await startFaultProxy(endpoint, rule)
      proxies.push(proxy)
      return proxy
    },
    async stop () {
      process.removeListener('exit', killOnExit)
      for (const proxy of proxies.splice(0)) await proxy.close()
      for (const made of clients.splice(0)) made.destroy()
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

// s3rver is test-only (koa and a dozen packages a production install should not carry), so
// it is an optional peer dependency: say what to install rather than let the child fail.
function requireS3rver (): void {
  try {
    createRequire(import.meta.url).resolve('s3rver')
  } catch (error) {
    throw new KeydiffError('@keydiff/s3/testing: startS3rver() needs the s3rver package, an optional peer dependency of @keydiff/s3; install it with `npm install --save-dev s3rver@^3.7.1`', 'KEYDIFF_CONFIG_INVALID', { cause: error })
  }
}

async function readPort (child: ChildProcess, stderr: () => string): Promise<number> {
  if (child.stdout === null) throw new Error('s3rver: no stdout')
  const lines = createInterface({ input: child.stdout })
  return await new Promise<number>((resolve, reject) => {
    const fail = (error: Error): void => { clearTimeout(timer); child.kill('SIGKILL'); reject(error) }
    const timer = setTimeout(() => { fail(new Error(`s3rver did not start within 20s: ${stderr()}`)) }, 20_000)
    child.once('exit', code => { fail(new Error(`s3rver exited with code ${String(code)} before listening (is the s3rver package installed?): ${stderr()}`)) })
    lines.once('line', line => {
      clearTimeout(timer)
      child.removeAllListeners('exit')
      resolve((JSON.parse(line) as { port: number }).port)
    })
  })
}
