import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import pg from 'pg'
import { KeydiffError } from '@keydiff/core'
import { assertConnectionFailed, startSilentEndpoint, type SilentEndpoint } from '@keydiff/core/conformance'
import { collect } from '@keydiff/sql-kit/testing'
import { postgresLookup, postgresReferences, postgresSnapshot } from '../src/index.ts'

// The timeouts are the pool's (the user's): a pool with connectionTimeoutMillis pointed at a
// listener that accepts and never answers fails each entry point with KEYDIFF_CONNECTION_FAILED
// naming the endpoint, without the password.
const PASSWORD = 'hunter2-not-printed'
let silent: SilentEndpoint
before(async () => { silent = await startSilentEndpoint() })
after(async () => { await silent.stop() })

const refused = (endpoint: RegExp) => (error: unknown) => assertConnectionFailed(error, { endpoint, secret: PASSWORD })

test('a silent server fails references, snapshot and look-up with KEYDIFF_CONNECTION_FAILED within the pool\'s connectionTimeoutMillis', async () => {
  const pool = new pg.Pool({ connectionString: `postgres://keydiff:${PASSWORD}@127.0.0.1:${silent.port}/refs`, connectionTimeoutMillis: 300 })
  const started = performance.now()
  try {
    const endpoint = new RegExp(`postgres://keydiff@127\\.0\\.0\\.1:${silent.port}/refs`)
    await assert.rejects(collect(postgresReferences({ client: pool, table: 'files', column: 'path' })), refused(endpoint))
    await assert.rejects(postgresSnapshot(pool), refused(endpoint))
    await assert.rejects(postgresLookup({ client: pool, table: 'files', column: 'path' }).has(['a']), refused(endpoint))
  } finally {
    await pool.end()
  }
  assert.ok(performance.now() - started < 10_000)
})

test('a URL with one slash after the scheme never puts its password in the endpoint an error names', async () => {
  const pool = new pg.Pool({ connectionString: `postgres:/keydiff:${PASSWORD}@127.0.0.1:${silent.port}/refs`, connectionTimeoutMillis: 300 })
  try {
    await assert.rejects(async () => await postgresReferences({ client: pool, table: 'files', column: 'path' }), (error: unknown) => {
      assert.ok(error instanceof KeydiffError, String(error))
      assert.ok(!error.message.includes(PASSWORD), error.message)
      return true
    })
  } finally {
    await pool.end()
  }
})
