import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import fsp, { lstat, mkdir, readFile, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { syncBuiltinESMExports } from 'node:module'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { apply, directoryDeleteSink, directoryQuarantineSink, directorySource, plan, type KeySource, type RestorableSink, type Sink } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { tempDirectory, writeEntries } from './store-fixture.ts'
import { filesUnder, OLD, planKeys } from './sweep-helpers.ts'

// The directory store never leaves its root: every path component below the root (and below
// the trash) is checked when the action is taken, so a symbolic link on the way, there from
// the start or swapped in after the plan, refuses the key and touches nothing.

let dir: { path: string, remove: () => Promise<void> }
before(async () => { dir = await tempDirectory('symlinks') })
after(async () => { await dir.remove() })

async function keys (source: KeySource): Promise<string[]> {
  const out: string[] = []
  for await (const batch of source) for (const entry of batch) out.push(entry.key)
  return out
}

/** A store under `name`, and a directory outside it holding `f.txt` (size 7, old mtime). */
async function layout (name: string): Promise<{ root: string, outside: string }> {
  const root = join(dir.path, name, 'store')
  const outside = join(dir.path, name, 'outside')
  await mkdir(root, { recursive: true })
  await mkdir(outside, { recursive: true })
  await writeFile(join(outside, 'f.txt'), 'precious')
  await utimes(join(outside, 'f.txt'), OLD, OLD)
  return { root, outside }
}

function sinks (root: string, trash?: string): Array<Sink | RestorableSink> {
  return [directoryDeleteSink({ root }), directoryQuarantineSink({ root, trash })]
}

test('a key through a directory symlink inside the store is not listed, and every sink refuses it', async () => {
  const { root, outside } = await layout('listed')
  await writeEntries(root, [{ key: 'real/g.txt' }])
  await symlink(outside, join(root, 'link'))
  assert.deepEqual(await keys(directorySource({ root })), ['real/g.txt'])
  for (const sink of sinks(root)) {
    const [outcome] = await sink.apply([{ key: 'link/f.txt', size: 8, lastModified: OLD }])
    assert.equal(outcome?.ok, false, sink.name)
    assert.equal(outcome?.retryable, false)
    assert.match(outcome?.error ?? '', /symbolic link/)
  }
  assert.equal(await readFile(join(outside, 'f.txt'), 'utf8'), 'precious')
  assert.deepEqual(await filesUnder(join(dir.path, 'listed', 'outside')), ['f.txt'])
})

test('a planned directory swapped for a symlink after the plan is not followed by apply (delete, quarantine)', async () => {
  for (const action of ['delete', 'quarantine'] as const) {
    const { root, outside } = await layout(`swapped-${action}`)
    const kept = Array.from({ length: 9 }, (_, i) => ({ key: `keep/${i}.txt`, size: 8, lastModified: OLD }))
    await writeEntries(root, [{ key: 'dir/f.txt', size: 8, lastModified: OLD }, ...kept])
    const out = join(dir.path, `swapped-${action}.plan.jsonl`)
    await plan({ candidates: directorySource({ root }), references: keySource([kept.map(entry => ({ key: entry.key }))], { name: 'references' }), out })
    assert.deepEqual(await planKeys(out), ['dir/f.txt'])

    // the same name, size and mtime outside: only the path tells them apart
    await rename(join(root, 'dir'), join(dir.path, `swapped-${action}`, 'moved-away'))
    await symlink(outside, join(root, 'dir'))
    const sink = action === 'delete' ? directoryDeleteSink({ root }) : directoryQuarantineSink({ root })
    const result = await apply(out, sink, { lock: null, retries: 0 })
    assert.equal(result.done, 0, action)
    assert.equal(result.failed, 1)
    assert.match(result.failures[0]?.error ?? '', /symbolic link/)
    assert.equal(await readFile(join(outside, 'f.txt'), 'utf8'), 'precious', action)
    assert.ok((await lstat(join(root, 'dir'))).isSymbolicLink(), 'the link itself is left alone')
    assert.deepEqual(await filesUnder(join(root, '.keydiff', 'trash')), [])
  }
})

test('quarantine never moves a file through a symlink in the trash, and restore never through one in the store', async () => {
  const { root, outside } = await layout('trash-links')
  const trash = join(dir.path, 'trash-links', 'trash')
  await writeEntries(root, [{ key: 'dir/g.txt', size: 8, lastModified: OLD }])
  await mkdir(trash, { recursive: true })
  await symlink(outside, join(trash, 'dir'))
  const sink = directoryQuarantineSink({ root, trash })
  const [moved] = await sink.apply([{ key: 'dir/g.txt', size: 8, lastModified: OLD }])
  assert.equal(moved?.ok, false)
  assert.match(moved?.error ?? '', /symbolic link/)
  assert.deepEqual(await filesUnder(outside), ['f.txt'])
  assert.deepEqual(await filesUnder(root), ['dir/g.txt'])

  // now the other way: the file sits in the trash and the store's directory became a link
  await rm(join(trash, 'dir'))
  const [quarantined] = await sink.apply([{ key: 'dir/g.txt', size: 8, lastModified: OLD }])
  assert.equal(quarantined?.ok, true)
  assert.deepEqual(await filesUnder(trash), ['dir/g.txt'])
  await rm(join(root, 'dir'), { recursive: true, force: true })
  await symlink(outside, join(root, 'dir'))
  const [restored] = await sink.restore([{ key: 'dir/g.txt' }])
  assert.equal(restored?.ok, false)
  assert.match(restored?.error ?? '', /symbolic link/)
  assert.deepEqual(await filesUnder(outside), ['f.txt'])
  assert.deepEqual(await filesUnder(trash), ['dir/g.txt'])
})

test('a default trash whose .keydiff is a symlink out of the store is refused', async () => {
  const { root, outside } = await layout('work-link')
  await writeEntries(root, [{ key: 'h.txt', size: 8, lastModified: OLD }])
  await symlink(outside, join(root, '.keydiff'))
  const [outcome] = await directoryQuarantineSink({ root }).apply([{ key: 'h.txt', size: 8, lastModified: OLD }])
  assert.equal(outcome?.ok, false)
  assert.match(outcome?.error ?? '', /symbolic link/)
  assert.ok(existsSync(join(root, 'h.txt')))
  assert.deepEqual(await filesUnder(outside), ['f.txt'])
})

test('a file that is itself a symlink, or a component that is a file, is refused; .., absolute paths and NUL too', async () => {
  const { root, outside } = await layout('odd')
  await writeEntries(root, [{ key: 'plain', size: 8, lastModified: OLD }])
  await symlink(join(outside, 'f.txt'), join(root, 'file-link'))
  for (const sink of sinks(root)) {
    const outcomes = await sink.apply([
      { key: 'file-link', size: 8, lastModified: OLD },
      { key: 'plain/under', size: 8, lastModified: OLD },
      { key: '../outside/f.txt' },
      { key: '/etc/passwd' },
      { key: 'a\0b' }
    ])
    assert.deepEqual(outcomes.map(outcome => outcome.ok), [false, false, false, false, false], sink.name)
    assert.ok(outcomes.every(outcome => outcome.retryable === false))
  }
  assert.equal(await readFile(join(outside, 'f.txt'), 'utf8'), 'precious')
  assert.ok((await lstat(join(root, 'file-link'))).isSymbolicLink())
  assert.deepEqual(await filesUnder(root), ['file-link', 'plain'])
})

test('a directory swapped for a symlink between the check and the action is not followed either: the sink acts through the directory it opened', async () => {
  for (const step of ['unlink', 'link'] as const) {
    const { root, outside } = await layout(`race-${step}`)
    await writeEntries(root, [{ key: 'dir/f.txt', size: 8, lastModified: OLD }])
    const real = fsp[step] as (...args: unknown[]) => Promise<void>
    let swapped = false
    // the swap comes at the last moment: after every check, right before the removal or the link
    ;(fsp as Record<string, unknown>)[step] = async (...args: unknown[]): Promise<void> => {
      if (!swapped) {
        swapped = true
        await rename(join(root, 'dir'), join(root, 'moved'))
        await symlink(outside, join(root, 'dir'))
      }
      await real(...args)
    }
    syncBuiltinESMExports()
    try {
      const sink = step === 'unlink' ? directoryDeleteSink({ root }) : directoryQuarantineSink({ root })
      const [outcome] = await sink.apply([{ key: 'dir/f.txt', size: 8, lastModified: OLD }])
      assert.ok(swapped)
      assert.equal(outcome?.ok, true, outcome?.error)
    } finally {
      ;(fsp as Record<string, unknown>)[step] = real
      syncBuiltinESMExports()
    }
    // the planned file, in the directory the sink opened, is the one acted on; the outside one is intact
    assert.equal(await readFile(join(outside, 'f.txt'), 'utf8'), 'precious', step)
    assert.deepEqual(await filesUnder(outside), ['f.txt'])
    assert.deepEqual(await filesUnder(join(root, 'moved')), [])
    if (step === 'link') assert.deepEqual(await filesUnder(join(root, '.keydiff', 'trash')), ['dir/f.txt'])
  }
})

test('the sinks close every directory they open, whatever the outcome', async () => {
  const { root, outside } = await layout('descriptors')
  const keys = Array.from({ length: 600 }, (_, i) => `d${i % 300}/e${i % 3}/f${i}`)
  await writeEntries(root, keys.map(key => ({ key, size: 8, lastModified: OLD })))
  await symlink(outside, join(root, 'link'))
  const open = (): number => readdirSync('/proc/self/fd').length
  const before = open()
  const odd = [{ key: 'link/f.txt' }, { key: 'missing/x' }, { key: 'd0/e0/f0/under' }, { key: '../x' }]
  const sink = directoryQuarantineSink({ root })
  const moved = await sink.apply([...keys.map(key => ({ key, size: 8, lastModified: OLD })), ...odd])
  assert.equal(moved.filter(outcome => outcome.ok).length, 601) // the keys and missing/x
  await sink.restore([...keys.map(key => ({ key })), ...odd])
  await directoryDeleteSink({ root }).apply([...keys.map(key => ({ key })), ...odd])
  assert.deepEqual(await filesUnder(root), ['link'])
  await new Promise(resolve => setTimeout(resolve, 50))
  assert.equal(open(), before)
})

test('the directory sinks name their store and their trash as locations', () => {
  const root = join(dir.path, 'named')
  assert.equal(directoryDeleteSink({ root }).store, `file://${root}`)
  const sink = directoryQuarantineSink({ root })
  assert.equal(sink.store, `file://${root}`)
  assert.equal(sink.trash, `file://${root}/.keydiff/trash`)
  assert.equal(directoryQuarantineSink({ root, trash: join(dir.path, 'elsewhere') }).trash, `file://${join(dir.path, 'elsewhere')}`)
})
