import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { runMain as cli } from './run-cli.ts'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-counts-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

const OLD = new Date(Date.now() - 3 * 86_400_000).toISOString()
const key = (i: number): string => `k/${String(i).padStart(4, '0')}`
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

// 4,000 stored keys; two reference sources, the second repeating 1,000 keys of the first:
// 4,001 rows read, 3,001 distinct keys, 999 orphans
async function inputs (): Promise<{ listing: string, refsA: string, refsB: string }> {
  const listing = join(dir, 'listing.jsonl')
  await writeFile(listing, range(4000).map(i => JSON.stringify({ key: key(i), size: 1, lastModified: OLD })).join('\n') + '\n')
  const refsA = join(dir, 'refs-a.txt')
  await writeFile(refsA, range(3001).map(key).join('\n') + '\n')
  const refsB = join(dir, 'refs-b.txt')
  await writeFile(refsB, range(1000).map(key).join('\n') + '\n')
  return { listing, refsA, refsB }
}

test('keydiff plan says rows read across the unioned sources, and the distinct keys they name', async () => {
  const { listing, refsA, refsB } = await inputs()
  const result = await cli(['plan', '--candidates', listing, '--references', refsA, '--references', refsB, '--out', join(dir, 'exact.plan.jsonl')])
  assert.equal(result.code, 0, result.stderr)
  assert.match(result.stdout, /4,000 candidates, 4,001 reference rows read \(3,001 distinct keys\), 999 orphans;/)
  assert.doesNotMatch(result.stdout, /\d references,/)

  const json = await cli(['plan', '--candidates', listing, '--references', refsA, '--references', refsB, '--out', join(dir, 'json.plan.jsonl'), '--json'])
  assert.equal((JSON.parse(json.stdout) as { header: { counts: { references: number } } }).header.counts.references, 4001, 'the JSON field keeps its name and meaning')
})

test('keydiff plan in bloom mode gives rows read only: the filter cannot count distinct keys', async () => {
  const { listing, refsA, refsB } = await inputs()
  const result = await cli(['plan', '--candidates', listing, '--references', refsA, '--references', refsB, '--out', join(dir, 'bloom.plan.jsonl'), '--mode', 'bloom'])
  assert.equal(result.code, 0, result.stderr)
  assert.match(result.stdout, /4,000 candidates, 4,001 reference rows read, \d[\d,]* orphans;/)
  assert.doesNotMatch(result.stdout, /distinct keys/)
})

test('keydiff diff says rows read', async () => {
  const { refsA, refsB } = await inputs()
  const candidates = join(dir, 'candidates.txt')
  await writeFile(candidates, range(4000).map(key).join('\n') + '\n')
  const result = await cli(['diff', '--candidates', candidates, '--references', refsA, '--references', refsB, '--output', join(dir, 'orphans.txt')])
  assert.equal(result.code, 0, result.stderr)
  assert.match(result.stderr, /4,000 candidates, 4,001 reference rows read → 999 orphans/)
})

test('keydiff run says rows read and distinct keys in its summary', async () => {
  const root = join(dir, 'store')
  await mkdir(join(root, 'k'), { recursive: true })
  for (const i of range(6)) {
    await writeFile(join(root, key(i)), 'x')
    await utimes(join(root, key(i)), new Date(OLD), new Date(OLD))
  }
  await writeFile(join(dir, 'run-a.txt'), range(4).map(key).join('\n') + '\n')
  await writeFile(join(dir, 'run-b.txt'), range(2).map(key).join('\n') + '\n')
  const file = join(dir, 'keydiff.toml')
  await writeFile(file, `
[stores.local]
type = "directory"
path = "${root}"

[[runs]]
name = "counts"
candidates = { store = "local" }
references = [{ file = "run-a.txt" }, { file = "run-b.txt" }]
`)
  const result = await cli(['run', '--config', file, '--dry-run'])
  assert.equal(result.code, 0, result.stderr)
  assert.match(result.stdout, /6 candidates, 6 reference rows read \(4 distinct keys\), 2 orphans;/)
})
