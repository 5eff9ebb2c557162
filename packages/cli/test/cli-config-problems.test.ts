import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { ConfigError } from '../src/config/config-error.ts'
import { parseConfig } from '../src/config/load-config.ts'
import { runMain as cli } from './run-cli.ts'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-problems-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

// Seven problems, schema and semantic, one of each kind a user meets; line numbers matter.
const BROKEN = `
[stores.local]
type = "directory"
path = "./data"
bukket = "x"

[databases.main]
type = "postgres"
url = "\${KEYDIFF_PROBLEMS_UNSET}"

[[runs]]
name = "blobs"
candidates = { store = "nas" }
references = [
  { database = "main", table = "files", column = "path" },
  { file = "refs.jsonl" },
  { file = "refs.txt", onMismatch = "drop" },
  { database = "legacy", query = "SELECT 1" },
]
grace = "24 hours"
mode = "fast"
`

const EXPECTED: Array<[number, string, RegExp]> = [
  [5, 'stores.local.bukket', /unknown key/],
  [9, 'databases.main.url', /environment variable KEYDIFF_PROBLEMS_UNSET is not set/],
  [13, 'runs[0].candidates.store', /no store named "nas" \(stores: local\)/],
  [16, 'runs[0].references[1].file', /JSON Lines references need the field/],
  [17, 'runs[0].references[2].onMismatch', /set stripPrefix too/],
  [18, 'runs[0].references[3].database', /no database named "legacy" \(databases: main\)/],
  [20, 'runs[0].grace', /must be a duration such as "24h"/],
  [21, 'runs[0].mode', /must be one of "exact", "bloom"/]
]

test('every problem of a config is reported in one pass, in the order of the file, each with its line and key path', async () => {
  let error: unknown
  try {
    await parseConfig(BROKEN, 'keydiff.toml', {})
  } catch (thrown) {
    error = thrown
  }
  assert.ok(error instanceof ConfigError, String(error))
  assert.equal(error.code, 'KEYDIFF_CONFIG_INVALID')
  assert.deepEqual(error.problems.map(problem => [problem.line, problem.keyPath]), EXPECTED.map(([line, keyPath]) => [line, keyPath]))
  error.problems.forEach((problem, i) => { assert.match(problem.message, (EXPECTED[i] as [number, string, RegExp])[2]) })
  // the first problem is still the error's own key path and line
  assert.equal(error.keyPath, 'stores.local.bukket')
  assert.equal(error.line, 5)
})

test('keydiff run prints every problem, one a line with file:line and key path, and exits 2', async () => {
  const file = join(dir, 'keydiff.toml')
  await writeFile(file, BROKEN)
  const result = await cli(['run', '--config', file, '--dry-run'])
  assert.equal(result.code, 2, result.stderr)
  assert.match(result.stderr, new RegExp(`${EXPECTED.length} problems`))
  for (const [line, keyPath, message] of EXPECTED) {
    const printed = result.stderr.split('\n').find(text => text.includes(`${file}:${line}: ${keyPath}: `))
    assert.ok(printed !== undefined, `${keyPath} at line ${line} in:\n${result.stderr}`)
    assert.match(printed, message)
  }
})

test('the issue\'s pair: grace = "24 hours" and mode = "fast" are both reported', async () => {
  const file = join(dir, 'pair.toml')
  await writeFile(file, `
[stores.local]
type = "directory"
path = "."

[[runs]]
name = "x"
candidates = { store = "local" }
references = [{ file = "refs.txt" }]
grace = "24 hours"
mode = "fast"
`)
  const result = await cli(['run', '--config', file, '--dry-run'])
  assert.equal(result.code, 2)
  assert.match(result.stderr, /pair\.toml:10: runs\[0\]\.grace: must be a duration/)
  assert.match(result.stderr, /pair\.toml:11: runs\[0\]\.mode: must be one of/)
})

test('a misspelt required key is one problem (the unknown key), not two', async () => {
  try {
    await parseConfig('[[runs]]\nname = "x"\ncandidate = { store = "s" }\nreferences = [{ file = "r" }]\n', 'k.toml', {})
    assert.fail('accepted')
  } catch (error) {
    assert.ok(error instanceof ConfigError)
    assert.deepEqual(error.problems.map(problem => problem.keyPath), ['runs[0].candidate'])
  }
})
