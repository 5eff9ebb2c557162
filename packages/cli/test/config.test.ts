import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfig } from '../src/config/load-config.ts'
import { ConfigError } from '../src/config/config-error.ts'

const VALID = `
[stores.bucket]
type = "s3"
bucket = "blobs"
endpoint = "http://127.0.0.1:9000"
secretAccessKey = "\${S3_SECRET}"

[stores.local]
type = "directory"
path = "./data"

[databases.main]
type = "postgres"
url = "\${PGURL}"

[[runs]]
name = "blobs"
candidates = { store = "bucket", prefix = "blobs/" }
references = [
  { database = "main", query = "SELECT path FROM files" },
  { file = "refs.txt" },
]
grace = "24h"
protect = ["**/*.lock"]
action = { type = "quarantine", prefix = "trash/" }

[[runs]]
name = "local"
candidates = { store = "local" }
references = [{ file = "refs.txt" }]
action = { type = "delete" }
`

const env = { S3_SECRET: 'shh', PGURL: 'postgres://postgres@127.0.0.1/test' }

async function configError (text: string, environment: NodeJS.ProcessEnv = env): Promise<ConfigError> {
  try {
    await parseConfig(text, 'keydiff.toml', environment)
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error))
    assert.equal(error.code, 'KEYDIFF_CONFIG_INVALID')
    return error
  }
  assert.fail('the config was accepted')
}

test('a valid config parses, with ${VAR} secrets from the environment', async () => {
  const config = await parseConfig(VALID, 'keydiff.toml', env)
  assert.equal(config.runs.length, 2)
  assert.deepEqual(config.stores?.bucket, { type: 's3', bucket: 'blobs', endpoint: 'http://127.0.0.1:9000', secretAccessKey: 'shh' })
  assert.deepEqual(config.databases?.main, { type: 'postgres', url: 'postgres://postgres@127.0.0.1/test' })
})

test('an unknown key names its key path and line', async () => {
  const error = await configError(VALID.replace('bucket = "blobs"', 'bukket = "blobs"'))
  assert.equal(error.keyPath, 'stores.bucket.bukket')
  assert.equal(error.line, 4)
})

test('a missing store names the run, the key and the line', async () => {
  const error = await configError(VALID.replace('candidates = { store = "local" }', 'candidates = { store = "nas" }'))
  assert.equal(error.keyPath, 'runs[1].candidates.store')
  assert.equal(error.line, 29)
  assert.match(error.message, /no store named "nas"/)
})

test('a bad type names the key', async () => {
  const error = await configError(VALID.replace('type = "directory"', 'type = "ftp"'))
  assert.equal(error.keyPath, 'stores.local.type')
  assert.equal(error.line, 9)
  assert.match(error.message, /directory/)
})

test('an unknown key inside a multi-line array of inline tables is located', async () => {
  const error = await configError(VALID.replace('{ file = "refs.txt" },', '{ file = "refs.txt", colum = 2 },'))
  assert.equal(error.keyPath, 'runs[0].references[1].colum')
  assert.equal(error.line, 21)
  const shapeless = await configError(VALID.replace('{ file = "refs.txt" },', '{ path = "refs.txt" },'))
  assert.equal(shapeless.keyPath, 'runs[0].references[1]')
  assert.match(shapeless.message, /a reference needs one of/)
})

test('an unset environment variable is named', async () => {
  const error = await configError(VALID, { PGURL: 'x' })
  assert.equal(error.keyPath, 'stores.bucket.secretAccessKey')
  assert.match(error.message, /S3_SECRET/)
})

test('wrong action for the store, zero grace without acknowledgement, bad sizes, duplicate names', async () => {
  assert.equal((await configError(VALID.replace('action = { type = "delete" }', 'action = { type = "tag" }'))).keyPath, 'runs[1].action.type')
  assert.equal((await configError(VALID.replace('grace = "24h"', 'grace = "0h"'))).keyPath, 'runs[0].grace')
  assert.equal((await configError(VALID.replace('grace = "24h"', 'grace = "24h"\nmemory = "lots"'))).keyPath, 'runs[0].memory')
  assert.equal((await configError(VALID.replace('name = "local"', 'name = "blobs"'))).keyPath, 'runs[1].name')
})

test('TOML syntax errors give the line', async () => {
  const error = await configError(VALID.replace('grace = "24h"', 'grace = 24h"'))
  assert.equal(error.line, 23)
})
