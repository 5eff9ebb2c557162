import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
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
