import assert from 'node:assert/strict'
import { test } from 'node:test'
import { importPeer } from '../src/drivers/import-peer.ts'

test('a module whose peer SDK is not installed is a config error naming it and the install command', async () => {
  await assert.rejects(importPeer(async () => await import('keydiff-test-absent-sdk' as string), 'a test database', ['@keydiff/test', 'keydiff-test-absent-sdk']), {
    code: 'KEYDIFF_CONFIG_INVALID',
    message: '[keydiff] a test database needs keydiff-test-absent-sdk, which is not installed: npm install @keydiff/test keydiff-test-absent-sdk'
  })
  // any other failure passes unchanged
  const broken = new Error('broken')
  await assert.rejects(importPeer(async () => { throw broken }, 'x', []), error => error === broken)
  assert.equal(await importPeer(async () => await Promise.resolve(7), 'x', []), 7)
})
