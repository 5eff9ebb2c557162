import assert from 'node:assert/strict'
import { test } from 'node:test'
import { InvalidOptionError, KeydiffError } from '@keydiff/core'
import { batchChunks, clientOption, plannedSource, tombstoneTable } from '../src/index.ts'

const caller = { adapter: '@keydiff/x', factory: 'xReferences' }

test('clientOption takes client, or the deprecated pool; missing is a TypeError naming adapter and option, unusable an InvalidOptionError', () => {
  const usable = (client: { ok?: boolean }): boolean => client.ok === true
  const client = { ok: true }
  assert.equal(clientOption({ client }, caller, usable, 'an x client'), client)
  assert.equal(clientOption({ pool: client }, caller, usable, 'an x client'), client)
  assert.throws(() => clientOption({}, caller, usable, 'an x client'), { name: 'TypeError', message: '@keydiff/x xReferences: option client is required' })
  assert.throws(() => clientOption(null as unknown as object, caller, usable, 'an x client'), { name: 'TypeError', message: '@keydiff/x xReferences: options must be an object' })
  assert.throws(() => clientOption({ client: {} }, caller, usable, 'an x client'), (error: unknown) => error instanceof InvalidOptionError && error.option === 'client')
})

test('batchChunks gives each key of a batch as one line of its bytes', async () => {
  const keys = ['a', '', 'é/🙂', 'new\nline']
  async function * batches (): AsyncGenerator<Array<{ key: string }>> { yield keys.map(key => ({ key })) }
  const out: string[] = []
  for await (const chunk of batchChunks(batches())) for (let i = 0; i < chunk.length; i++) out.push(chunk.bytes.toString('utf8', chunk.starts[i], chunk.ends[i]))
  assert.deepEqual(out, keys)
})

test('a planned source plans once for reads and awaits, and again only after a failure', async () => {
  let plans = 0
  let fail = true
  const source = plannedSource({
    name: 'x',
    sorted: false,
    plan: async () => {
      plans++
      if (fail) throw new Error('down')
      return 3
    },
    estimateOf: plan => plan,
    async * batches (plan, state) {
      state.scanStartedAt = new Date(0)
      yield Array.from({ length: plan }, (_, i) => ({ key: String(i) }))
    }
  })
  assert.equal(plans, 0, 'made without planning')
  await assert.rejects(async () => await source, /down/)
  fail = false
  const planned = await source
  assert.equal(planned.estimatedCount, 3)
  for await (const batch of source) assert.equal(batch.length, 3)
  assert.equal(plans, 2)
  assert.deepEqual(source.scanStartedAt, new Date(0))
  assert.deepEqual(planned.scanStartedAt, new Date(0), 'both views share one scan state')
})

test('a tombstone table is created once, again after a failure, and a failed write is KEYDIFF_AUDIT_FAILED', async () => {
  let creates = 0
  let inserts = 0
  let broken = true
  const sink = tombstoneTable({
    adapter: 'x',
    name: 'x table t',
    create: true,
    createTable: async () => {
      creates++
      if (broken) throw new Error('no space')
    },
    insert: async records => { inserts += records.length }
  })
  await sink.write([])
  assert.equal(creates, 0, 'nothing to write, nothing created')
  await assert.rejects(sink.write([{ key: 'a', action: 'delete', ok: true }]), (error: unknown) => error instanceof KeydiffError && error.code === 'KEYDIFF_AUDIT_FAILED' && /x table t/.test(error.message))
  broken = false
  await sink.write([{ key: 'a', action: 'delete', ok: true }])
  await sink.write([{ key: 'b', action: 'delete', ok: false, error: 'gone' }])
  assert.equal(creates, 2)
  assert.equal(inserts, 2)
})
