import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, before, test } from 'node:test'
import type { CommandIO } from '../src/io.ts'
import { main } from '../src/main.ts'
import { runCli } from './run-cli.ts'
import { runSourceCli } from './run-source-cli.ts'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-threads-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

test('keydiff diff --threads: the same orphans on one thread; a count that is not a whole number is a usage error', async () => {
  const candidates = join(dir, 'candidates.txt')
  const references = join(dir, 'references.txt')
  await writeFile(candidates, 'a\nb\nc\nd\n')
  await writeFile(references, 'b\nd\n')
  for (const threads of ['1', '3']) {
    const run = await runSourceCli(['diff', '--candidates', candidates, '--references', references, '--threads', threads, '--quiet'])
    assert.equal(run.code, 0, run.stderr)
    assert.deepEqual(run.stdout.split('\n').filter(line => line !== '').sort(), ['a', 'c'])
  }
  const bad = await runSourceCli(['diff', '--candidates', candidates, '--references', references, '--threads', '0'])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--threads must be a whole number of at least 1, not 0/)
})

test('keydiff diff: a spilled diff writes its orphans as the candidates\' lines, exactly the keys: UTF-8, bytes that are not, CR, control characters', async () => {
  // A million references spill from the start, and the orphans' keys are read back from the
  // candidates' file and written out as its bytes, never decoded.
  const references = join(dir, 'many-references.txt')
  const candidates = join(dir, 'many-candidates.txt')
  const n = 1_000_000
  const refs = Array.from({ length: n }, (_, i) => `blobs/${i.toString(16)}`)
  await writeFile(references, refs.join('\n') + '\n')
  const special = [Buffer.from('o/é/ü/😀'), Buffer.from([0x6f, 0x2f, 0xff, 0xfe, 0x41]), Buffer.from('o/crlf\r'), Buffer.from('o/\u001b[31mred\u007f')]
  const lines: Buffer[] = []
  for (let i = 0; i < n; i += 10) {
    lines.push(Buffer.from(refs[i] as string), Buffer.from(`orphan/${i}`))
    if (i % 250_000 === 0) lines.push(special[(i / 250_000) % special.length] as Buffer)
  }
  await writeFile(candidates, Buffer.concat(lines.flatMap(line => [line, Buffer.from('\n')])))
  // What a key is: the line decoded as UTF-8 (a byte that is not becomes U+FFFD), less a CR before its LF.
  const orphans = lines.filter(line => !line.toString().startsWith('blobs/')).map(line => line.toString('utf8').replace(/\r$/, ''))
  const expected = orphans.map(key => key + '\n').join('')
  assert.ok(expected.includes('o/\ufffd\ufffdA\n') && expected.includes('o/crlf\n'))

  for (const threads of ['2', '1']) {
    const run = await runCli(['diff', '--candidates', candidates, '--references', references, '--threads', threads, '--memory', '16MiB', '--quiet'])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stdout, expected, `--threads ${threads}`)
  }
  const output = join(dir, 'orphans.txt')
  const toFile = await runCli(['diff', '--candidates', candidates, '--references', references, '--output', output, '--memory', '16MiB', '--stats', join(dir, 'stats.json')])
  assert.equal(toFile.code, 0, toFile.stderr)
  assert.deepEqual(await readFile(output), Buffer.from(expected))
  const stats = JSON.parse(await readFile(join(dir, 'stats.json'), 'utf8')) as { orphans: { count: number }, spilledBytes: number }
  assert.equal(stats.orphans.count, orphans.length)
  assert.ok(stats.spilledBytes > 0)
  // Bloom mode: lines of the same keys, in order, missing at most a few.
  const bloom = await runCli(['diff', '--candidates', candidates, '--references', references, '--mode', 'bloom', '--quiet'])
  assert.equal(bloom.code, 0, bloom.stderr)
  const found = bloom.stdout.split('\n').slice(0, -1)
  let next = 0
  for (const key of found) {
    next = orphans.indexOf(key, next) + 1
    assert.ok(next > 0, `bloom mode wrote ${JSON.stringify(key)}, not an orphan or out of order`)
  }
  assert.ok(found.length >= orphans.length * 0.98, `${found.length} of ${orphans.length}`)

  // On a terminal the same keys are escaped.
  const stdout = new PassThrough()
  let shown = ''
  stdout.setEncoding('utf8').on('data', (chunk: string) => { shown += chunk })
  const stdin = new PassThrough()
  stdin.end()
  const terminal: CommandIO = { stdin: stdin as unknown as CommandIO['stdin'], stdout, stderr: new PassThrough(), isTTY: false, stdoutIsTTY: true }
  assert.equal(await main(['diff', '--candidates', candidates, '--references', references, '--memory', '16MiB', '--quiet'], terminal), 0)
  assert.ok(shown.includes('o/\\u001b[31mred\\u007f\n'), 'control characters escaped')
  assert.ok(!shown.includes('\u001b'))
  assert.equal(shown.split('\n').length, expected.split('\n').length)
})
