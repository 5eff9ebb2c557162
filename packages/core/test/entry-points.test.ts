import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { build } from 'esbuild'

// Core shows three faces: the user API, the adapter toolkit and the conformance suites. Each
// is its own entry, so an application's bundle of the first holds none of the others.
const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, Record<string, string>>
}

const ADAPTER = ['DEFAULT_LOCK_TTL', 'LINE_CHUNKS', 'MAY_RESOLVE_ELSEWHERE', 'appendChunkEntries', 'backoffDelay', 'checkGuards', 'createLockInfo', 'defaultLockOwner', 'deriveSource', 'directoryDriver', 'guardRecord', 'isKeySource', 'keepLease', 'keySource', 'leaseExpired', 'leaseExpiry', 'leaseTerms', 'lineChunkBatches', 'mayResolveElsewhere', 'objectLock', 'parseKeyTemplate', 'parseLockInfo', 'planGuardLimits', 'retry', 'rowMapper', 'sessionLock', 'sleep', 'splitKey', 'splitPointsByLevel', 'templateKeys', 'toKeySource', 'withinRange']
const CONFORMANCE = ['assertConnectionFailed', 'awkwardKeys', 'keySourceSuite', 'lockSuite', 'pointLookupSuite', 'sinkSuite', 'splitPointsSuite', 'startBreakableProxy', 'startSilentEndpoint']

test('each entry point has the source, types and bundle conditions, in that order', () => {
  assert.deepEqual(Object.keys(packageJson.exports), ['.', './adapter', './conformance'])
  for (const [entry, conditions] of Object.entries(packageJson.exports)) {
    assert.deepEqual(Object.keys(conditions), ['keydiff-source', 'types', 'default'], entry)
    assert.ok(existsSync(new URL(`../${conditions['keydiff-source']}`, import.meta.url)), `${entry} source`)
  }
})

test('the adapter and conformance entries export their own names, and the main entry none of them', async () => {
  const main = await import('@keydiff/core')
  const adapter = await import('@keydiff/core/adapter')
  const conformance = await import('@keydiff/core/conformance')
  assert.deepEqual(Object.keys(adapter).sort(), [...ADAPTER].sort())
  assert.deepEqual(Object.keys(conformance).sort(), [...CONFORMANCE].sort())
  const leaked = [...ADAPTER, ...CONFORMANCE].filter(name => name in main)
  assert.deepEqual(leaked, [])
  // What users need stays where they look for it.
  for (const name of ['diff', 'plan', 'apply', 'directorySource', 'lockFile', 'KeydiffError', 'LockHeldError']) assert.ok(name in main, name)
})

test('a bundle of the main entry holds no test code', async () => {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'warning'
  })
  const text = result.outputFiles.map(file => file.text).join('\n')
  assert.ok(text.includes('function diff'), 'the bundle is of the main entry')
  assert.ok(!text.includes('node:assert'), 'node:assert is imported by the main bundle')
  assert.ok(!text.includes('node:test'), 'node:test is imported by the main bundle')
})
