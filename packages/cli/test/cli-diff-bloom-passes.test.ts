import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { runSourceCli } from './run-source-cli.ts'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-bloom-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

test('keydiff diff --mode bloom with more references than one filter holds at --memory: the summary names the passes, and the orphans are found', async () => {
  const candidates = join(dir, 'candidates.txt')
  const references = join(dir, 'references.txt')
  const referenced = Array.from({ length: 450_000 }, (_, i) => `blobs/${i.toString(16).padStart(8, '0')}`)
  await writeFile(references, referenced.join('\n') + '\n')
  await writeFile(candidates, [...referenced.slice(0, 100), ...Array.from({ length: 1000 }, (_, i) => `orphans/${i}`)].join('\n') + '\n')
  const run = await runSourceCli(['diff', '--candidates', candidates, '--references', references, '--mode', 'bloom', '--memory', '1MiB'])
  assert.equal(run.code, 0, run.stderr)
  const orphans = run.stdout.split('\n').filter(line => line !== '')
  assert.ok(orphans.length >= 990 && orphans.every(key => key.startsWith('orphans/')), `${orphans.length} orphans`)
  assert.match(run.stderr, /filter [\d.]+ KiB in \d+ passes \(~0\.\d+% false positives\)/)
})
