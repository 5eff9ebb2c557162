import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { diff, spillReferenceSet, type KeyBatch } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'

const work = mkdtempSync(join(tmpdir(), 'keydiff-cleanup-test-'))
after(() => rmSync(work, { recursive: true, force: true }))

const keys = (prefix: string, n: number): KeyBatch => Array.from({ length: n }, (_, i) => ({ key: `${prefix}/${i}` }))

function breaking (batches: number, name: string) {
  return keySource(function * () {
    for (let i = 0; i < batches; i++) yield keys(`${name}${i}`, 100)
    throw new Error('connection reset')
  }, { name })
}

test('the work directory is removed after success', async () => {
  const run = diff({ candidates: [keys('a', 500)], references: keySource([keys('a', 300)], { name: 'r' }), referenceSet: spillReferenceSet({ tmpdir: work, maxInMemory: 10 }) })
  let orphans = 0
  for await (const part of run) orphans += part.entries.length
  assert.equal(orphans, 200)
  assert.ok((run.stats.spilledBytes ?? 0) > 0)
  assert.deepEqual(readdirSync(work), [])
})

test('a reference source that breaks while spilling fails the run and leaves no files', async () => {
  const run = diff({ candidates: [keys('a', 10)], references: breaking(5, 'r'), referenceSet: spillReferenceSet({ tmpdir: work, maxInMemory: 10 }) })
  await assert.rejects(async () => { for await (const part of run) void part }, { code: 'KEYDIFF_SOURCE_FAILED' })
  assert.deepEqual(readdirSync(work), [])
})

test('a candidate source that breaks while spilling fails the run and leaves no files', async () => {
  const run = diff({ candidates: breaking(5, 'c'), references: keySource([keys('r', 300)], { name: 'r' }), referenceSet: spillReferenceSet({ tmpdir: work, maxInMemory: 10 }) })
  await assert.rejects(async () => { for await (const part of run) void part }, { code: 'KEYDIFF_SOURCE_FAILED' })
  assert.deepEqual(readdirSync(work), [])
})

test('a missing spill directory is a clear error', async () => {
  const run = diff({ candidates: [keys('a', 10)], references: keySource([keys('a', 30)], { name: 'r' }), referenceSet: spillReferenceSet({ tmpdir: join(work, 'nope'), maxInMemory: 10 }) })
  await assert.rejects(async () => { for await (const part of run) void part }, { code: 'KEYDIFF_INVALID_OPTION' })
})

test('SIGINT removes the work directory of a spilling run', async () => {
  const dir = mkdtempSync(join(work, 'sigint-'))
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=keydiff-source', join(import.meta.dirname, 'spill-child.ts'), 'hang', dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<NodeJS.Signals | null>(resolve => child.on('exit', (_, signal) => resolve(signal)))
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('spilling')) resolve() })
    child.on('exit', () => reject(new Error('the child exited before spilling')))
  })
  assert.equal(readdirSync(dir).length, 1, 'the run has a work directory')
  child.kill('SIGINT')
  assert.equal(await exited, 'SIGINT')
  assert.deepEqual(readdirSync(dir), [])
})
