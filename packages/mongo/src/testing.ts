import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, renameSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { MongoClient } from 'mongodb'
import { KeydiffError } from '@keydiff/core'

/**
 * A MongoDB server for tests, published so that users' own tests of their sweeps can run
 * against the same stand-in as this package's (as core publishes its conformance suite).
 * `KEYDIFF_MONGO_URL` points them at a real server;
 * without it they start the stand-in: the pure-TypeScript CongoDB wire-protocol server of
 * `@push.rocks/smartmongo@2.2.0`, fetched with `npm pack` into this package's `.cache` folder
 * (its own install fails on missing dependency versions; its runtime dependencies are this
 * package's optional peer dependencies, found from the cache by walking up to `node_modules`).
 */
export interface TestServer {
  readonly url: string
  /** 'congodb' for the stand-in, 'mongod' for a real server from KEYDIFF_MONGO_URL. */
  readonly kind: 'congodb' | 'mongod'
  client: () => Promise<MongoClient>
  stop: () => Promise<void>
}

const STAND_IN = '@push.rocks/smartmongo@2.2.0'
const here = dirname(fileURLToPath(import.meta.url))
// The same folder from src/ and from dist/: the package's own `.cache`.
const cacheDir = join(here, '..', '.cache')
const unpacked = join(cacheDir, 'smartmongo-2.2.0')
const serverModule = join(unpacked, 'package', 'dist_ts', 'congodb', 'server', 'CongoServer.js')

interface CongoServerLike {
  start: () => Promise<void>
  stop: () => Promise<void>
}
type CongoServerClass = new (options: { port: number, host: string }) => CongoServerLike

// The stand-in's runtime dependencies: test-only, so optional peer dependencies of this
// package (a production install should not carry them); named here when one is missing.
const STAND_IN_DEPENDENCIES = ['@push.rocks/smartfs@^1.5.0', '@push.rocks/smartpath@^6.0.0', '@push.rocks/smartpromise@^4.2.3', '@push.rocks/smartrx@^3.0.10', 'bson@^6.10.4', 'mingo@^7.2.7']

async function importStandIn (): Promise<CongoServerClass> {
  try {
    return (await import(pathToFileURL(serverModule).href) as { CongoServer: CongoServerClass }).CongoServer
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error
    throw new KeydiffError(`@keydiff/mongo/testing: the MongoDB stand-in ${STAND_IN} cannot load its dependencies (${(error as Error).message}); they are optional peer dependencies of @keydiff/mongo: install them with \`npm install --save-dev ${STAND_IN_DEPENDENCIES.join(' ')}\`, or set KEYDIFF_MONGO_URL to a mongodb:// URL of a test server`, 'KEYDIFF_CONFIG_INVALID', { cause: error })
  }
}

function fetchStandIn (): void {
  if (existsSync(serverModule)) return
  mkdirSync(cacheDir, { recursive: true })
  // Several test processes may fetch at once: each unpacks into its own folder and renames
  // it into place; a rename that finds the place taken means another process won.
  const work = join(cacheDir, `fetch-${process.pid}`)
  try {
    rmSync(work, { recursive: true, force: true })
    mkdirSync(work)
    const tarball = execFileSync('npm', ['pack', STAND_IN, '--silent', '--pack-destination', work], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop() ?? ''
    execFileSync('tar', ['xzf', join(work, tarball), '-C', work])
    try {
      renameSync(work, unpacked)
    } catch (error) {
      if (!existsSync(serverModule)) throw error
    }
  } catch (error) {
    throw new Error(`could not fetch the MongoDB stand-in ${STAND_IN} with npm pack (${(error as Error).message}); set KEYDIFF_MONGO_URL to a mongodb:// URL of a test server instead`, { cause: error })
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => { typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')) })
    })
  })
}

async function reachable (url: string): Promise<MongoClient> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 })
  try {
    await client.connect()
    await client.db('admin').command({ ping: 1 })
    return client
  } catch (error) {
    await client.close().catch(() => {})
    throw new Error(`MongoDB at ${url} cannot be reached (${(error as Error).message}); set KEYDIFF_MONGO_URL to a reachable server`, { cause: error })
  }
}

/**
 * Connects to KEYDIFF_MONGO_URL when it is set, else starts the stand-in on a free port of
 * 127.0.0.1 (fetching it with `npm pack` on first use).
 * @throws KeydiffError `KEYDIFF_CONFIG_INVALID` when the stand-in's dependencies are not installed.
 */
export async function startTestServer (): Promise<TestServer> {
  const clients: MongoClient[] = []
  const connect = (url: string) => async () => {
    const client = await reachable(url)
    clients.push(client)
    return client
  }
  const closeClients = async (): Promise<void> => { await Promise.all(clients.splice(0).map(async client => await client.close(true).catch(() => {}))) }

  const external = process.env.KEYDIFF_MONGO_URL
  if (external !== undefined && external !== '') {
    await (await reachable(external)).close()
    return { url: external, kind: 'mongod', client: connect(external), stop: closeClients }
  }

  fetchStandIn()
  const CongoServer = await importStandIn()
  const port = await freePort()
  const server = new CongoServer({ port, host: '127.0.0.1' })
  await server.start()
  const url = `mongodb://127.0.0.1:${port}/?directConnection=true`
  return {
    url,
    kind: 'congodb',
    client: connect(url),
    stop: async () => {
      await closeClients()
      await server.stop()
    }
  }
}
