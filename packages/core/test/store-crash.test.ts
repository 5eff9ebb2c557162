import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { copyFile, link, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { apply, directoryQuarantineSink, directorySource, plan, restore } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { tempDirectory } from './store-fixture.ts'
import { filesUnder, OLD } from './sweep-helpers.ts'

// Quarantine and restore are moves in two steps (link or copy, then remove). A real SIGKILL
// of a real process between the two leaves the file in both places; the next run must finish
// the move, not report "a quarantined copy already exists" or "a file is in the way" forever.

let dir: { path: string, remove: () => Promise<void> }
let shm: string | undefined
before(async () => {
  dir = await tempDirectory('crash')
  // another file system where there is one, so that moves there are copies
  if (existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(dir.path).dev) shm = await mkdtemp('/dev/shm/keydiff-crash-')
})
after(async () => {
  await dir.remove()
  if (shm !== undefined) await rm(shm, { recursive: true, force: true })
})

const CHILD = join(import.meta.dirname, 'store-crash-child.ts')

interface Store { root: string, trash: string, out: string, orphans: string[], kept: string[] }

/** A store of `orphans` unreferenced files and a few referenced ones, each holding its own key, and its plan. */
async function store (name: string, orphans: number, trashBase = dir.path): Promise<Store> {
  const root = join(dir.path, name, 'store')
  const trash = join(trashBase, `${name}-trash`)
  const orphanKeys = Array.from({ length: orphans }, (_, i) => `o/${String(i % 7)}/${String(i).padStart(5, '0')}.bin`)
  const kept = Array.from({ length: 5 }, (_, i) => `kept/${i}.bin`)
  for (const key of [...orphanKeys, ...kept]) {
    const path = join(root, ...key.split('/'))
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, `content of ${key}`)
    await utimes(path, OLD, OLD)
  }
  const out = join(dir.path, name, 'plan.jsonl')
  await plan({ candidates: directorySource({ root }), references: keySource([kept.map(key => ({ key }))], { name: 'references' }), out, maxOrphanShare: 1 })
  return { root, trash, out, orphans: orphanKeys.sort(), kept }
}

/** Runs the child until `until` says so, then kills it with SIGKILL; returns what it printed. */
async function killChild (args: string[], until: (output: string) => Promise<boolean> | boolean): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=keydiff-source', CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  const exited = new Promise<NodeJS.Signals | null>(resolve => child.on('exit', (_, signal) => resolve(signal)))
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      void Promise.resolve(until(output)).then(stop => { if (stop) resolve() }, reject)
    })
    child.on('exit', () => reject(new Error(`the child exited before it was killed: ${output}`)))
  })
  child.kill('SIGKILL')
  assert.equal(await exited, 'SIGKILL')
  return output
}

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

/** Keys whose file is in both places at once: a move the kill cut in two. */
function inBoth (keys: readonly string[], a: string, b: string): string[] {
  return keys.filter(key => existsSync(join(a, ...key.split('/'))) && existsSync(join(b, ...key.split('/'))))
}

/** Every key is in `where` exactly once, one link, with its own content. */
async function holdsAll (where: string, keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    const path = join(where, ...key.split('/'))
    assert.equal(statSync(path).nlink, 1, `${key} has one link`)
    assert.equal(await readFile(path, 'utf8'), `content of ${key}`)
  }
}

async function afterQuarantine (s: Store): Promise<void> {
  assert.deepEqual(await filesUnder(s.root), s.kept)
  assert.deepEqual(await filesUnder(s.trash), s.orphans)
  await holdsAll(s.trash, s.orphans)
}

async function afterRestore (s: Store): Promise<void> {
  assert.deepEqual(await filesUnder(s.root), [...s.kept, ...s.orphans].sort())
  assert.deepEqual(await filesUnder(s.trash), [])
  await holdsAll(s.root, s.orphans)
}

for (const across of [false, true]) {
  test(`SIGKILL between the ${across ? 'copy to another file system' : 'link'} and the removal: the next apply and restore finish every move`, async () => {
    const s = await store(across ? 'paused-across' : 'paused', 200, across ? shm ?? dir.path : dir.path)
    const sink = directoryQuarantineSink({ root: s.root, trash: s.trash })

    // every removal in the store waits: the kill comes with each started move half done
    await killChild(['apply', s.out, s.root, s.trash, s.root], async output => output.includes('paused') && (await sleep(150), true))
    const cut = inBoth(s.orphans, s.root, s.trash)
    assert.ok(cut.length > 0, 'the kill left files in both places')
    if (!across) for (const key of cut) assert.equal(statSync(join(s.root, ...key.split('/'))).nlink, 2)
    const applied = await apply(s.out, sink, { lock: null })
    assert.equal(applied.failed, 0, JSON.stringify(applied.failures.slice(0, 3)))
    await afterQuarantine(s)

    await killChild(['restore', s.out, s.root, s.trash, s.trash], async output => output.includes('paused') && (await sleep(150), true))
    assert.ok(inBoth(s.orphans, s.root, s.trash).length > 0, 'the kill left files in both places')
    const restored = await restore(s.out, sink, { lock: null })
    assert.equal(restored.failed, 0, JSON.stringify(restored.failures.slice(0, 3)))
    await afterRestore(s)
  })
}

test('SIGKILL at any moment of a quarantine or a restore: the next run finishes, each key moved exactly once', async () => {
  for (const delay of [45, 90]) {
    const s = await store(`anywhere-${delay}`, 600)
    const sink = directoryQuarantineSink({ root: s.root, trash: s.trash })
    await killChild(['apply', s.out, s.root, s.trash], async output => output.includes('started') && (await sleep(delay), true))
    const applied = await apply(s.out, sink, { lock: null })
    assert.equal(applied.failed, 0, JSON.stringify(applied.failures.slice(0, 3)))
    await afterQuarantine(s)
    await killChild(['restore', s.out, s.root, s.trash], async output => output.includes('started') && (await sleep(delay), true))
    const restored = await restore(s.out, sink, { lock: null })
    assert.equal(restored.failed, 0, JSON.stringify(restored.failures.slice(0, 3)))
    await afterRestore(s)
  }
})

test('a file linked but not removed, or copied whole, completes the move; a different file in the way is left alone', async () => {
  const root = join(dir.path, 'states', 'store')
  const trash = join(dir.path, 'states', 'trash')
  const keys = ['linked', 'copied', 'different', 'back-linked', 'back-different']
  for (const key of keys) {
    await mkdir(root, { recursive: true })
    await writeFile(join(root, key), `content of ${key}`)
    await utimes(join(root, key), OLD, OLD)
  }
  await mkdir(trash, { recursive: true })
  await link(join(root, 'linked'), join(trash, 'linked'))
  await copyFile(join(root, 'copied'), join(trash, 'copied'))
  await writeFile(join(trash, 'different'), 'CONTENT OF different') // same size, other bytes
  const sink = directoryQuarantineSink({ root, trash })
  const entries = ['linked', 'copied', 'different'].map(key => ({ key, size: `content of ${key}`.length, lastModified: OLD }))
  const outcomes = await sink.apply(entries)
  assert.deepEqual(outcomes.map(outcome => outcome.ok), [true, true, false])
  assert.match(outcomes[2]?.error ?? '', /different file already exists/)
  assert.equal(await readFile(join(root, 'different'), 'utf8'), 'content of different')
  assert.equal(await readFile(join(trash, 'different'), 'utf8'), 'CONTENT OF different')
  assert.equal(statSync(join(trash, 'linked')).nlink, 1)

  // restore: the same two states the other way
  await rm(join(trash, 'different'))
  await rm(join(root, 'different'))
  for (const key of ['back-linked', 'back-different']) {
    const [moved] = await sink.apply([{ key }])
    assert.equal(moved?.ok, true)
  }
  await link(join(trash, 'back-linked'), join(root, 'back-linked'))
  await writeFile(join(root, 'back-different'), 'a new file')
  const back = await sink.restore([{ key: 'linked' }, { key: 'copied' }, { key: 'back-linked' }, { key: 'back-different' }])
  assert.deepEqual(back.map(outcome => outcome.ok), [true, true, true, false])
  assert.match(back[3]?.error ?? '', /in the way/)
  assert.deepEqual(await filesUnder(root), ['back-different', 'back-linked', 'copied', 'linked'])
  assert.deepEqual(await filesUnder(trash), ['back-different'])
  assert.equal(await readFile(join(root, 'back-different'), 'utf8'), 'a new file')
  assert.equal(statSync(join(root, 'back-linked')).nlink, 1)
})
