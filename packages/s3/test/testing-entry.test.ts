import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

// What a consumer's node sees: no keydiff-source condition, so the built entry in dist/, which
// `files` ships. (scripts: test/packed-install.ts runs the same from the packed tarballs.)
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { files: string[], exports: Record<string, Record<string, string>> }

const CONSUMER = `
const url = import.meta.resolve('@keydiff/s3/testing')
const { startS3rver } = await import(url)
const server = await startS3rver()
const { ListBucketsCommand } = await import('@aws-sdk/client-s3')
const listed = await server.client().send(new ListBucketsCommand({}))
const bucket = await server.createBucket([{ key: 'a/b' }, { key: 'c', size: 3 }])
const keys = await server.listKeys(bucket)
await server.stop()
process.stdout.write(JSON.stringify({ url, buckets: listed.Buckets ?? [], keys }))
`

test('@keydiff/s3/testing imports from the built package, and its s3rver starts, holds a bucket made by createBucket and stops', async () => {
  assert.ok(packageJson.files.includes('dist'))
  assert.equal(packageJson.exports['./testing']?.default, './dist/testing.js')
  const env = { ...process.env, NODE_OPTIONS: '', NODE_NO_WARNINGS: '1' }
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', CONSUMER], { cwd: packageDir, env })
  const result = JSON.parse(stdout) as { url: string, buckets: unknown[], keys: string[] }
  assert.equal(fileURLToPath(result.url), fileURLToPath(new URL('../dist/testing.js', import.meta.url)))
  assert.deepEqual(result.buckets, [])
  assert.deepEqual(result.keys.sort(), ['a/b', 'c'])
})
