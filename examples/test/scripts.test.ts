import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { promisify } from 'node:util'

const examples = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Runs an example as a script, the way its header says, and returns what it printed. */
async function runScript (file: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--conditions=keydiff-source', join('src', file)], {
    cwd: examples,
    env: { ...process.env, ...env },
    timeout: 60_000
  })
  return stdout
}

test('content-addressed-store.ts runs as a script on its demo store', async () => {
  const out = await runScript('content-addressed-store.ts')
  const store = /^demo store (.+)$/m.exec(out)?.[1]
  assert.ok(store !== undefined, out)
  try {
    assert.match(out, /index .+: 150 distinct blobs in use/)
    assert.match(out, /1 too young/)
    assert.match(out, /^deleted 50 blobs \(400 bytes\), 0 failed/m)
  } finally {
    await rm(dirname(store), { recursive: true, force: true })
  }
})

test('versioned-archive-prune.ts runs as a script: preview, then prune, of its demo archive', async () => {
  const out = await runScript('versioned-archive-prune.ts')
  assert.match(out, /^photos\/\s+40\s+410\.2 KiB$/m)
  assert.match(out, /dry run: nothing pruned/)
  assert.match(out, /^pruned 120 files \(1260000 bytes\)/m)
  assert.match(out, /^recorded 120 tombstones/m)
})

test('a script without its required settings says which to set and exits 2', async () => {
  await assert.rejects(runScript('soft-delete-lifecycle.ts', { BUCKET: '', REFERENCES: '' }), (error: { code?: number, stderr?: string }) => {
    assert.equal(error.code, 2)
    assert.match(error.stderr ?? '', /set BUCKET and REFERENCES/)
    return true
  })
})
