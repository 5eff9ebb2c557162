import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, before, test } from 'node:test'
import type { CommandIO } from '../src/io.ts'
import { main } from '../src/main.ts'
import { runMain } from './run-cli.ts'
import { runSourceCli } from './run-source-cli.ts'

// ESC ] 0 ; … BEL retitles a terminal, ESC [ 31 m turns it red, U+009B is a one-character CSI.
const TITLE = 'dir\u001b]0;pwned\u0007'
const RED = 'a\u001b[31mred\u009bb\u007f'
// Anything a terminal could act on: C0 controls but newline, DEL, C1 controls.
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/

let dir: string
let store: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keydiff-control-'))
  store = join(dir, 'store')
  await mkdir(join(store, TITLE), { recursive: true })
  const old = new Date(Date.now() - 7 * 86_400_000)
  for (const key of [`${TITLE}/${RED}`, 'live.bin']) {
    await writeFile(join(store, key), 'x')
    await utimes(join(store, key), old, old)
  }
  await writeFile(join(dir, 'refs.txt'), 'live.bin\n')
  await writeFile(join(dir, 'candidates.txt'), `${TITLE}/${RED}\nlive.bin\n`)
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

const planArgs = (out: string): string[] => ['plan', '--store', store, '--references', join(dir, 'refs.txt'), '--out', join(dir, out), '--max-orphan-share', '1', '--max-missing-share', '1']

test('keydiff plan: a key holding ESC, BEL, DEL and a C1 control is printed escaped in the summary, exact in --json', async () => {
  const table = await runSourceCli(planArgs('table.jsonl'))
  assert.equal(table.code, 0, table.stderr)
  assert.doesNotMatch(table.stdout, RAW_CONTROL)
  assert.ok(table.stdout.includes('dir\\u001b]0;pwned\\u0007/'), table.stdout)

  const json = await runMain([...planArgs('json.jsonl'), '--json'])
  assert.equal(json.code, 0, json.stderr)
  assert.doesNotMatch(json.stdout, RAW_CONTROL)
  const parsed = JSON.parse(json.stdout) as { prefixes: Array<{ prefix: string }> }
  assert.ok(parsed.prefixes.some(entry => entry.prefix === `${TITLE}/`), 'the JSON value is the key itself')
})

test('keydiff diff: orphans are data, exact down a pipe and escaped on a terminal; a key in an error is escaped', async () => {
  const args = ['diff', '--candidates', join(dir, 'candidates.txt'), '--references', join(dir, 'refs.txt'), '--quiet']
  const piped = await runMain(args)
  assert.equal(piped.code, 0, piped.stderr)
  assert.equal(piped.stdout, `${TITLE}/${RED}\n`)

  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let shown = ''
  stdout.setEncoding('utf8').on('data', (chunk: string) => { shown += chunk })
  const stdin = new PassThrough()
  stdin.end()
  const terminal: CommandIO = { stdin: stdin as unknown as CommandIO['stdin'], stdout, stderr, isTTY: false, stdoutIsTTY: true }
  assert.equal(await main(args, terminal), 0)
  assert.doesNotMatch(shown, RAW_CONTROL)
  assert.equal(shown, 'dir\\u001b]0;pwned\\u0007/a\\u001b[31mred\\u009bb\\u007f\n')

  // Declared sorted but not: the error names both keys, escaped.
  await writeFile(join(dir, 'unsorted.txt'), `z\n${RED}\n`)
  const failed = await runSourceCli(['diff', '--candidates', join(dir, 'unsorted.txt'), '--references', join(dir, 'unsorted.txt'), '--sorted', '--quiet'])
  assert.equal(failed.code, 1, failed.stderr)
  assert.match(failed.stderr, /KEYDIFF_NOT_SORTED/)
  assert.doesNotMatch(failed.stderr, RAW_CONTROL)
  assert.ok(failed.stderr.includes('a\\u001b[31mred\\u009bb\\u007f'), failed.stderr)
})

test('keydiff run: the run summary escapes keys; an unknown run name with ESC is escaped in the usage error', async () => {
  const file = join(dir, 'keydiff.toml')
  await writeFile(file, `
[stores.local]
type = "directory"
path = "${store}"

[[runs]]
name = "r"
candidates = { store = "local" }
references = [{ file = "refs.txt" }]
maxOrphanShare = 1
maxMissingShare = 1
`)
  const dry = await runMain(['run', '--config', file, '--dry-run'])
  assert.equal(dry.code, 0, dry.stderr)
  assert.doesNotMatch(dry.stdout + dry.stderr, RAW_CONTROL)
  assert.ok(dry.stdout.includes('dir\\u001b]0;pwned\\u0007/'), dry.stdout)

  const unknown = await runMain(['run', '--config', file, '--only', 'bad\u001b[2Jname'])
  assert.equal(unknown.code, 2)
  assert.doesNotMatch(unknown.stderr, RAW_CONTROL)
  assert.ok(unknown.stderr.includes('\\u001b[2J'), unknown.stderr)
})
