import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { runMain as cli } from './run-cli.ts'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-index-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

async function keys (name: string, list: string[]): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, list.join('\n') + '\n')
  return path
}

const sorted = (text: string): string[] => text.split('\n').filter(line => line !== '').sort()

test('keydiff index build, diff --index by both strategies, add, remove, why and drop', async () => {
  const stored = Array.from({ length: 3000 }, (_, i) => `blobs/${i}`)
  const candidates = await keys('candidates.txt', stored)
  const repoA = await keys('repo-a.txt', stored.filter((_, i) => i % 3 === 0))
  const repoB = await keys('repo-b.txt', stored.filter((_, i) => i % 3 === 1))
  const index = join(dir, 'index')

  const built = await cli(['index', 'build', '--index', index, '--references', repoA, '--memory', '1MiB'])
  assert.equal(built.code, 0, built.stderr)
  const orphans = async (): Promise<string[][]> => {
    const out: string[][] = []
    for (const strategy of ['scan', 'lookup']) {
      const run = await cli(['diff', '--candidates', candidates, '--index', index, '--strategy', strategy, '--quiet'])
      assert.equal(run.code, 0, run.stderr)
      out.push(sorted(run.stdout))
    }
    assert.deepEqual(out[0], out[1], 'scan and lookup agree')
    return out
  }
  assert.deepEqual((await orphans())[0], stored.filter((_, i) => i % 3 !== 0).sort())

  assert.equal((await cli(['index', 'add', '--index', index, '--references', repoB, '--source', 'repo-b'])).code, 0)
  assert.deepEqual((await orphans())[0], stored.filter((_, i) => i % 3 === 2).sort())
  assert.equal((await cli(['index', 'add', '--index', index, '--references', repoA, '--source', 'repo-b'])).code, 0)

  const why = await cli(['index', 'why', '--index', index, 'blobs/0'])
  assert.equal(why.code, 0)
  assert.equal(why.stdout, `blobs/0: referenced by ${repoA}, repo-b\n`)
  const none = await cli(['index', 'why', '--index', index, 'blobs/2'])
  assert.equal(none.code, 1)
  assert.equal(none.stdout, 'blobs/2: not referenced\n')

  const removed = await cli(['index', 'remove', '--index', index, '--references', repoA, '--source', 'repo-b'])
  assert.equal(removed.code, 0, removed.stderr)
  assert.match(removed.stderr, / 0 references removed/, 'repo-a still claims its keys')
  assert.equal((await cli(['index', 'remove', '--index', index, '--references', repoA])).code, 0)
  assert.deepEqual((await orphans())[0], stored.filter((_, i) => i % 3 !== 1).sort())

  assert.equal((await cli(['index', 'drop', '--index', index])).code, 0)
  assert.equal(existsSync(index), false)
})

test('keydiff index build of more references than its memory goes through partition files in --tmpdir and leaves none', async () => {
  // 1 MiB holds 65,536 pending fingerprints; 100,000 go through the partition files.
  const stored = Array.from({ length: 100_000 }, (_, i) => `objects/${i}`)
  const references = await keys('many-refs.txt', stored.filter((_, i) => i % 10 !== 0))
  const candidates = await keys('many-candidates.txt', stored)
  const spill = join(dir, 'spill')
  await mkdir(spill)
  const index = join(dir, 'index-partitioned')
  const built = await cli(['index', 'build', '--index', index, '--references', references, '--memory', '1MiB', '--tmpdir', spill])
  assert.equal(built.code, 0, built.stderr)
  assert.match(built.stderr, /the index holds 90,000 /)
  assert.deepEqual(await readdir(spill), [])
  const run = await cli(['diff', '--candidates', candidates, '--index', index, '--quiet'])
  assert.equal(run.code, 0, run.stderr)
  assert.deepEqual(sorted(run.stdout), stored.filter((_, i) => i % 10 === 0).sort())
})

test('keydiff index and diff --index refuse bad input with a usage error or the index code', async () => {
  const refs = await keys('refs.txt', ['a'])
  const cands = await keys('cands.txt', ['a', 'b'])
  const index = join(dir, 'bad-index')
  assert.equal((await cli(['diff', '--candidates', cands, '--references', refs, '--strategy', 'scan'])).code, 2, '--strategy needs --index')
  assert.equal((await cli(['index', 'build', '--index', index, '--references', refs, '--expected', 'many'])).code, 2)
  assert.equal((await cli(['index', 'build', '--index', index, '--references', refs])).code, 0)
  assert.equal((await cli(['diff', '--candidates', cands, '--index', index, '--strategy', 'walk'])).code, 2)
  assert.equal((await cli(['index', 'build', '--index', index, '--references', refs])).code, 2, 'an index is there already')
  const missing = await cli(['index', 'why', '--index', join(dir, 'no-index'), 'a'])
  assert.notEqual(missing.code, 0)
  assert.match(missing.stderr, /KEYDIFF_INDEX_VERSION|no reference index/)
})
