import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
// The scale benchmark's workload (DESIGN.md), so the bound is checked on what the benchmark measures.
import { writeWorkload } from '../../../bench/src/workload.ts'

const work = mkdtempSync(join(tmpdir(), 'keydiff-rss-test-'))
after(() => rmSync(work, { recursive: true, force: true }))

const MiB = 1024 * 1024
const N = 2_000_000

test('2M keys with a 128MiB budget: exact answer, peak RSS within budget + 100MiB', { timeout: 120_000 }, () => {
  const candidates = join(work, 'candidates.txt')
  const references = join(work, 'references.txt')
  writeWorkload(candidates, references, N)
  const output = execFileSync(process.execPath, ['--import', 'tsx', '--conditions=keydiff-source', join(import.meta.dirname, 'spill-child.ts'), 'rss', candidates, references, '128MiB'], { encoding: 'utf8', env: { ...process.env, TMPDIR: work } })
  const result = JSON.parse(output) as { orphans: number, missing: number, spilledBytes: number, peakRss: number, seconds: number }
  process.stdout.write(`# ${JSON.stringify(result)}\n`)
  assert.equal(result.orphans, N / 10)
  assert.equal(result.missing, N / 20)
  assert.ok(result.peakRss <= 228 * MiB, `peak RSS ${(result.peakRss / MiB).toFixed(0)} MiB exceeds 128 MiB + 100 MiB`)
})
