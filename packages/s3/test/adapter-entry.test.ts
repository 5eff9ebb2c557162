import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

// @keydiff/minio depends on this entry for the S3 error classification and retry; a MinIO
// user must not load (or need to install) the AWS SDK through it.
const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, Record<string, string>> }

test('@keydiff/s3/adapter is published and imports nothing of the AWS SDK', async () => {
  assert.equal(packageJson.exports['./adapter']?.default, './dist/adapter.js')
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../src/adapter.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'node',
    packages: 'external',
    metafile: true,
    write: false,
    logLevel: 'warning'
  })
  const imports = Object.values(result.metafile.inputs).flatMap(input => input.imports.map(imported => imported.path))
  assert.ok(imports.includes('@keydiff/core/adapter'), 'the bundle is of the adapter entry')
  assert.deepEqual(imports.filter(path => path.startsWith('@aws-sdk/')), [])
})
