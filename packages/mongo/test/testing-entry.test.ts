import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

// The stand-in (KEYDIFF_MONGO_URL, if set, points at a real server instead). What a consumer's node sees: no keydiff-source condition, so the built entry in dist/, which
// `files` ships. (scripts: test/packed-install.ts runs the same from the packed tarballs.)
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { files: string[], exports: Record<string, Record<string, string>> }

const CONSUMER = `
const url = import.meta.resolve('@keydiff/mongo/testing')
const { startTestServer } = await import(url)
const server = await startTestServer()
const client = await server.client()
await client.db('keydiff').collection('entry').insertOne({ key: 'a' })
const keys = (await client.db('keydiff').collection('entry').find().toArray()).map(document => document.key)
await server.stop()
process.stdout.write(JSON.stringify({ url, keys }))
`

test('@keydiff/mongo/testing imports from the built package and its stand-in starts and stops', async () => {
  assert.ok(packageJson.files.includes('dist'))
  assert.equal(packageJson.exports['./testing']?.default, './dist/testing.js')
  const env = { ...process.env, NODE_OPTIONS: '', NODE_NO_WARNINGS: '1' }
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', CONSUMER], { cwd: packageDir, env })
  const result = JSON.parse(stdout) as { url: string, keys: unknown[] }
  assert.equal(fileURLToPath(result.url), fileURLToPath(new URL('../dist/testing.js', import.meta.url)))
  assert.deepEqual(result.keys, ['a'])
})
