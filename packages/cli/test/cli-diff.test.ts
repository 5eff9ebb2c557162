import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { runCli } from './run-cli.ts'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

/** The answer of `LC_ALL=C comm -23 <(sort -u candidates) <(sort -u references)`. */
function comm (candidates: string, references: string): string[] {
  const script = 'comm -23 <(sort -u "$1") <(sort -u "$2")'
  const out = execFileSync('bash', ['-c', script, 'comm', candidates, references], { env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 1 << 30, encoding: 'utf8' })
  return out.split('\n').filter(line => line.length > 0)
}

function generate (count: number, seed: number, alphabet: string[]): { stored: string[], referenced: string[] } {
  let state = seed
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    return state / 4294967296
  }
  const word = (): string => Array.from({ length: 6 + Math.floor(next() * 10) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('')
  const stored: string[] = []
  const referenced: string[] = []
  for (let i = 0; i < count; i++) {
    const key = `blobs/${word()}/${i.toString(16)}`
    stored.push(key)
    if (next() > 0.1) referenced.push(key)
    if (next() < 0.05) referenced.push(`gone/${word()}`)
    if (next() < 0.01) stored.push(key)
  }
  return { stored, referenced }
}

async function writeKeys (name: string, keys: string[]): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, keys.join('\n') + '\n')
  return path
}

test('exact diff of a million keys equals LC_ALL=C comm -23; bloom is a ≥98% subset', async () => {
  const { stored, referenced } = generate(1_000_000, 7, [...'0123456789abcdef'])
  const candidates = await writeKeys('stored-1m.txt', stored)
  const references = await writeKeys('refs-1m.txt', referenced)
  const expected = comm(candidates, references)
  const exact = await runCli(['diff', '--candidates', candidates, '--references', references, '--memory', '512MiB'])
  assert.equal(exact.code, 0, exact.stderr)
  const got = exact.stdout.split('\n').filter(line => line.length > 0)
  assert.deepEqual(got.sort(), expected.sort())
  assert.match(exact.stderr, /orphans/)

  const bloom = await runCli(['diff', '--candidates', candidates, '--references', references, '--mode', 'bloom'])
  assert.equal(bloom.code, 0, bloom.stderr)
  const expectedSet = new Set(expected)
  const bloomKeys = new Set(bloom.stdout.split('\n').filter(line => line.length > 0))
  for (const key of bloomKeys) assert.ok(expectedSet.has(key), `bloom reported ${key}, not an orphan`)
  assert.ok(bloomKeys.size >= 0.98 * expectedSet.size, `bloom found ${bloomKeys.size} of ${expectedSet.size}`)
})

test('unicode keys, gzip and CRLF files give the same set as comm', async () => {
  const { stored, referenced } = generate(30_000, 11, ['a', 'é', 'ß', '日', '本', '🙂', '\u{10348}', '\uFFFD', ' ', '+', '%'])
  const candidates = await writeKeys('stored-u.txt', stored)
  const references = await writeKeys('refs-u.txt', referenced)
  const expected = comm(candidates, references)
  const gz = join(dir, 'refs-u.txt.gz')
  await writeFile(gz, gzipSync(referenced.join('\r\n') + '\r\n'))
  const result = await runCli(['diff', '--candidates', candidates, '--references', gz])
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(result.stdout.split('\n').filter(line => line.length > 0).sort(), expected.sort())
})

test('sorted inputs merge with no filter; --missing, --stats, --format jsonl and stdin work', async () => {
  const references = await writeKeys('r-sorted.txt', ['b', 'd', 'e'])
  const missing = join(dir, 'missing.txt')
  const stats = join(dir, 'stats.json')
  const output = join(dir, 'orphans.jsonl')
  const result = await runCli(['diff', '--candidates', '-', '--references', references, '--sorted', '--missing', missing, '--stats', stats, '--format', 'jsonl', '--output', output], { stdin: 'a\nb\nc\nd\n' })
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual((await readFile(output, 'utf8')).trim().split('\n').map(line => (JSON.parse(line) as { key: string }).key), ['a', 'c'])
  assert.equal(await readFile(missing, 'utf8'), '{"key":"e"}\n')
  const parsed = JSON.parse(await readFile(stats, 'utf8')) as { strategy: string, orphans: { count: number }, missing: { count: number } }
  assert.equal(parsed.strategy, 'merge')
  assert.equal(parsed.orphans.count, 2)
  assert.equal(parsed.missing.count, 1)
})

test('a sorted claim that is false exits 1 naming the two keys', async () => {
  const candidates = await writeKeys('c-unsorted.txt', ['a', 'c', 'b'])
  const references = await writeKeys('r-ok.txt', ['a'])
  const result = await runCli(['diff', '--candidates', candidates, '--references', references, '--sorted'])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /"b" came after "c"/)
  assert.match(result.stderr, /KEYDIFF_NOT_SORTED/)
})

test('a missing file exits 1 naming the side and the path', async () => {
  const candidates = await writeKeys('c-exists.txt', ['a'])
  const result = await runCli(['diff', '--candidates', candidates, '--references', join(dir, 'no-such-refs.txt')])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /references/)
  assert.match(result.stderr, /no-such-refs\.txt/)
  assert.equal(result.stdout, '', 'no partial answer')
})

test('usage errors exit 2 with the usage', async () => {
  for (const args of [['diff', '--candidates', 'x', '--references', 'y', '--frobnicate'], ['diff', '--references', 'y'], ['diff', '--candidates', '-', '--references', '-'], ['diff', '--candidates', 'x', '--references', 'y', '--mode', 'fuzzy'], ['nonsense']]) {
    const result = await runCli(args)
    assert.equal(result.code, 2, args.join(' '))
    assert.match(result.stderr, /Usage: keydiff/)
  }
})

test('--help lists every option with its default', async () => {
  const top = await runCli(['--help'])
  assert.equal(top.code, 0)
  assert.match(top.stdout, /diff/)
  const help = await runCli(['diff', '--help'])
  assert.equal(help.code, 0)
  for (const option of ['--candidates', '--references', '--mode', '--memory', '--output', '--missing', '--stats', '--format', '--sorted']) assert.ok(help.stdout.includes(option), option)
  assert.match(help.stdout, /default: 256MiB/)
  assert.match(help.stdout, /default: exact/)
})

test('the demo finds the orphans of a generated store', async () => {
  const result = await runCli(['demo', '--keys', '5000', '--dir', dir])
  assert.equal(result.code, 0, result.stderr)
  assert.match(result.stdout, /First orphans/)
  const orphans = (await readFile(join(dir, 'orphans.txt'), 'utf8')).trim().split('\n')
  assert.deepEqual(orphans.sort(), comm(join(dir, 'stored.txt'), join(dir, 'referenced.txt')).sort())
})
