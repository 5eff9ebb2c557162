import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { startSilentEndpoint, type SilentEndpoint } from '@keydiff/core/conformance'
import { runSourceCli } from './run-source-cli.ts'

// Every network kind `keydiff run` opens, pointed at a listener that accepts and never
// answers, with short timeouts set in the config. Without its timeouts each of these hung
// forever (PostgreSQL, S3, GCS, MinIO) or failed after 30 s with a stack trace (MongoDB).
const PASSWORD = 'hunter2-never-printed'
const BOUND_MS = 20_000

let silent: SilentEndpoint
let dir: string
before(async () => {
  silent = await startSilentEndpoint()
  dir = await mkdtemp(join(tmpdir(), 'keydiff-never-hang-'))
  await writeFile(join(dir, 'refs.txt'), 'a\n')
})
after(async () => {
  await silent.stop()
  await rm(dir, { recursive: true, force: true })
})

const localStore = (root: string): string => `
[stores.local]
type = "directory"
path = "${root}"
`

// A database run: the database's type and URL scheme, what it reads, and any timeout beyond connectTimeout.
const databaseConfig = (type: string, scheme: string, reference: string, timeouts = '') => (port: number, root: string): string => `${localStore(root)}
[databases.db]
type = "${type}"
url = "${scheme}://keydiff:${PASSWORD}@127.0.0.1:${port}/refs"
connectTimeout = "1s"
${timeouts}
[[runs]]
name = "refs"
candidates = { store = "local" }
references = [${reference}]
`
const tableReference = '{ database = "db", table = "files", column = "path" }'

// A store run: the store's type, how it reaches the endpoint (and, for S3, its connect
// timeout), then the request timeout and attempts every store kind has.
const storeConfig = (type: string, connection: (port: number) => string) => (port: number): string => `
[stores.remote]
type = "${type}"
bucket = "blobs"
${connection(port)}
requestTimeout = "1s"
maxAttempts = 2

[[runs]]
name = "store"
candidates = { store = "remote" }
references = [{ file = "refs.txt" }]
`

const kinds: Array<{ kind: string, config: (port: number, root: string) => string }> = [
  { kind: 'PostgreSQL', config: databaseConfig('postgres', 'postgres', tableReference) },
  { kind: 'MySQL', config: databaseConfig('mysql', 'mysql', tableReference) },
  { kind: 'MongoDB', config: databaseConfig('mongo', 'mongodb', '{ database = "db", collection = "files", field = "path" }', 'requestTimeout = "1s"') },
  {
    kind: 'S3',
    config: storeConfig('s3', port => `endpoint = "http://127.0.0.1:${port}"
forcePathStyle = true
accessKeyId = "AKIAKEYDIFF"
secretAccessKey = "${PASSWORD}"
connectTimeout = "1s"`)
  },
  {
    kind: 'MinIO',
    config: storeConfig('minio', port => `endPoint = "127.0.0.1"
port = ${port}
useSSL = false
accessKey = "keydiff"
secretKey = "${PASSWORD}"`)
  },
  {
    kind: 'GCS',
    config: storeConfig('gcs', port => `projectId = "keydiff"
apiEndpoint = "http://127.0.0.1:${port}"`)
  }
]

describe('keydiff run against an endpoint that accepts and never answers', { concurrency: kinds.length }, () => {
  for (const { kind, config } of kinds) {
    test(`${kind}: fails within its configured timeouts with KEYDIFF_CONNECTION_FAILED naming the endpoint, in one line, no password`, async () => {
      const file = join(dir, `${kind}.toml`)
      await writeFile(file, config(silent.port, dir))
      const accepted = silent.accepted
      // --quiet: progress lines (plain lines on a pipe) would stand beside the one error line
      const result = await runSourceCli(['run', '--config', file, '--quiet'])
      assert.equal(result.code, 1, result.stderr)
      assert.ok(silent.accepted > accepted, 'the client reached the silent listener')
      assert.match(result.stderr, /\(KEYDIFF_CONNECTION_FAILED\)\n$/)
      assert.ok(result.stderr.includes(silent.address), `names the endpoint: ${result.stderr}`)
      assert.ok(!result.stderr.includes(PASSWORD), `no password: ${result.stderr}`)
      assert.equal(result.stderr.trim().split('\n').length, 1, `one line, no stack trace: ${result.stderr}`)
      assert.ok(result.ms < BOUND_MS, `finished in ${Math.round(result.ms)} ms`)
    })
  }
})

test('a timeout of zero is refused by the config check: it would mean waiting forever', async () => {
  const file = join(dir, 'zero.toml')
  await writeFile(file, kinds[0]?.config(silent.port, dir).replace('connectTimeout = "1s"', 'connectTimeout = "0s"') ?? '')
  const result = await runSourceCli(['run', '--config', file])
  assert.equal(result.code, 2, result.stderr)
  assert.match(result.stderr, /databases\.db\.connectTimeout: must be a duration above zero/)
})
