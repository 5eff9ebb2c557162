import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { runMain as cli } from './run-cli.ts'

let dir: string
let root: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-durations-'))
  root = join(dir, 'store')
  await mkdir(root, { recursive: true })
  const old = new Date(Date.now() - 30 * 86_400_000)
  for (const key of ['live.bin', 'orphan.bin']) {
    await writeFile(join(root, key), 'x')
    await utimes(join(root, key), old, old)
  }
  await writeFile(join(dir, 'refs.txt'), 'live.bin\n')
})
after(async () => { await rm(dir, { recursive: true, force: true }) })

let configs = 0
async function config (run: string): Promise<string> {
  const file = join(dir, `keydiff-${++configs}.toml`)
  await writeFile(file, `
[stores.local]
type = "directory"
path = "${root}"

[[runs]]
name = "durations"
candidates = { store = "local" }
references = [{ file = "refs.txt" }]
maxOrphanShare = 1
${run}
`)
  return file
}

const HOUR = 3_600_000
// the five spellings of the issue, as a user writes them in keydiff.toml
const SPELLINGS: Array<[string, number]> = [['0', 0], ['"0"', 0], ['"0h"', 0], ['"36h"', 36 * HOUR], ['"7d"', 7 * 24 * HOUR]]

for (const [spelling, ms] of SPELLINGS) {
  test(`grace = ${spelling} is a duration of ${ms} ms, as --grace reads it`, async () => {
    const zero = ms === 0 ? 'acknowledgeZeroGrace = true' : ''
    const result = await cli(['run', '--config', await config(`grace = ${spelling}\n${zero}`), '--dry-run', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const [outcome] = JSON.parse(result.stdout) as Array<{ plan: { header: { graceMs: number } } }>
    assert.equal(outcome?.plan.header.graceMs, ms)

    if (ms === 0) {
      // zero, however spelt, still needs its acknowledgement
      const refused = await cli(['run', '--config', await config(`grace = ${spelling}`), '--dry-run'])
      assert.equal(refused.code, 2, refused.stdout)
      assert.match(refused.stderr, /runs\[0\]\.grace/)
      assert.match(refused.stderr, /acknowledgeZeroGrace = true/)
    }
  })
}

test('the same spellings as the --grace flag: a unit in any case, a fraction', async () => {
  for (const [spelling, ms] of [['"36H"', 36 * HOUR], ['"1.5h"', 1.5 * HOUR]] as const) {
    const result = await cli(['run', '--config', await config(`grace = ${spelling}`), '--dry-run', '--json'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal((JSON.parse(result.stdout) as Array<{ plan: { header: { graceMs: number } } }>)[0]?.plan.header.graceMs, ms)
  }
})

test('a number other than zero, or a word, is not a duration: exit 2 naming the key and a spelling that is', async () => {
  for (const spelling of ['36', '"36"', '"24 hours"', '-1']) {
    const result = await cli(['run', '--config', await config(`grace = ${spelling}`), '--dry-run'])
    assert.equal(result.code, 2, `${spelling}: ${result.stdout}`)
    assert.match(result.stderr, /runs\[0\]\.grace.*must be a duration such as "24h", "30m", "7d" or 0/, spelling)
  }
})

test('other durations take the same spellings; a timeout of zero is still refused', async () => {
  const minOrphanAge = await cli(['run', '--config', await config(`minOrphanAge = "7D"`), '--dry-run'])
  assert.equal(minOrphanAge.code, 0, minOrphanAge.stderr)
  const file = join(dir, 'timeouts.toml')
  const databases = (timeouts: string): string => `
[databases.main]
type = "postgres"
url = "postgres://127.0.0.1:1/none"
${timeouts}

[[runs]]
name = "x"
candidates = { file = "refs.txt" }
references = [{ database = "main", table = "t", column = "c" }]
`
  await writeFile(file, databases('connectTimeout = 0'))
  const zero = await cli(['run', '--config', file, '--dry-run'])
  assert.equal(zero.code, 2)
  assert.match(zero.stderr, /databases\.main\.connectTimeout.*above zero/)
})
