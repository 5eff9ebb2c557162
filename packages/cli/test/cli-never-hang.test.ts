import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { runSourceCli } from './run-source-cli.ts'
import { startSilentServer, type SilentServer } from './silent-server.ts'

// Every network kind `keydiff run` opens, pointed at a listener that accepts and never
// answers, with short timeouts set in the config. Without its timeouts each of these hung
// forever (PostgreSQL, S3, GCS, MinIO) or failed after 30 s with a stack trace (MongoDB).
const PASSWORD = 'hunter2-never-printed'
const BOUND_MS = 20_000

let silent: SilentServer
let dir: string
before(async () => {
  silent = await startSilentServer()
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

const databaseRun = (reference: string): string => `
[[runs]]
name = "refs"
candidates = { store = "local" }
references = [${reference}]
`

const storeRun = `
[[runs]]
name = "store"
candidates = { store = "remote" }
references = [{ file = "refs.txt" }]
`

const kinds: Array<{ kind: string, config: (port: number, root: string) => string }> = [
  {
    kind: 'PostgreSQL',
    config: (port, root) => `${localStore(root)}
[databases.db]
type = "postgres"
url = "postgres://keydiff:${PASSWORD}@127.0.0.1:${port}/refs"
connectTimeout = "1s"
${databaseRun('{ database = "db", table = "files", column = "path" }')}`
  },
  {
    kind: 'MySQL',
    config: (port, root) => `${localStore(root)}
[databases.db]
type = "mysql"
url = "mysql://keydiff:${PASSWORD}@127.0.0.1:${port}/refs"
connectTimeout = "1s"
${databaseRun('{ database = "db", table = "files", column = "path" }')}`
  },
  {
    kind: 'MongoDB',
    config: (port, root) => `${localStore(root)}
[databases.db]
type = "mongo"
url = "mongodb://keydiff:${PASSWORD}@127.0.0.1:${port}/refs"
connectTimeout = "1s"
requestTimeout = "1s"
${databaseRun('{ database = "db", collection = "files", field = "path" }')}`
  },
  {
    kind: 'S3',
    config: port => `
[stores.remote]
type = "s3"
bucket = "blobs"
endpoint = "http://127.0.0.1:${port}"
forcePathStyle = true
accessKeyId = "AKIAKEYDIFF"
secretAccessKey = "${PASSWORD}"
connectTimeout = "1s"
requestTimeout = "1s"
maxAttempts = 2
${storeRun}`
  },
  {
    kind: 'MinIO',
    config: port => `
[stores.remote]
type = "minio"
bucket = "blobs"
endPoint = "127.0.0.1"
port = ${port}
useSSL = false
accessKey = "keydiff"
secretKey = "${PASSWORD}"
requestTimeout = "1s"
maxAttempts = 2
${storeRun}`
  },
  {
    kind: 'GCS',
    config: port => `
[stores.remote]
type = "gcs"
bucket = "blobs"
projectId = "keydiff"
apiEndpoint = "http://127.0.0.1:${port}"
requestTimeout = "1s"
maxAttempts = 2
${storeRun}`
  }
]

describe('keydiff run against an endpoint that accepts and never answers', { concurrency: kinds.length }, () => {
  for (const { kind, config } of kinds) {
    test(`${kind}: fails within its configured timeouts with KEYDIFF_CONNECTION_FAILED naming the endpoint, in one line, no password`, async () => {
      const file = join(dir, `${kind}.toml`)
      await writeFile(file, config(silent.port, dir))
      const accepted = silent.accepted
      const result = await runSourceCli(['run', '--config', file])
      assert.equal(result.code, 1, result.stderr)
      assert.ok(silent.accepted > accepted, 'the client reached the silent listener')
      assert.match(result.stderr, /\(KEYDIFF_CONNECTION_FAILED\)\n$/)
      assert.ok(result.stderr.includes(`127.0.0.1:${silent.port}`), `names the endpoint: ${result.stderr}`)
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
