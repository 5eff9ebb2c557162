import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test, type TestContext } from 'node:test'
import { runSourceCli } from './run-source-cli.ts'

// A full disk must come out as KEYDIFF_DISK_FULL naming the file, in one line: never a raw
// `Error: ENOSPC` with a stack trace. /dev/full fails every write with ENOSPC; a 64 KiB
// tmpfs (mounted when the tests run as root) fills for real under a plan, a spill and an
// audit log.
const PAGE = 4096
const TMPFS_PAGES = 16

let dir: string
let full: string
let mounted = false
let why = ''
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keydiff-disk-full-'))
  full = join(dir, 'full')
  await mkdir(full)
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_PAGES * PAGE}`, 'tmpfs', full], { stdio: 'pipe' })
    mounted = true
  } catch (error) {
    why = `mounting a ${TMPFS_PAGES * PAGE / 1024} KiB tmpfs needs root (${(error as Error).message.split('\n')[0] ?? ''})`
  }
  const keys = Array.from({ length: 3000 }, (_, i) => `blobs/${String(i).padStart(6, '0')}/some-longer-object-name.bin`)
  await writeFile(join(dir, 'candidates.txt'), keys.join('\n') + '\n')
  await writeFile(join(dir, 'refs.txt'), keys.filter((_, i) => i % 2 === 0).join('\n') + '\n')
  const store = join(dir, 'store')
  const old = new Date(Date.now() - 7 * 86_400_000)
  for (let i = 0; i < 300; i++) {
    const path = join(store, `object-with-a-long-enough-name-${String(i).padStart(4, '0')}.bin`)
    await mkdir(store, { recursive: true })
    await writeFile(path, 'x')
    await utimes(path, old, old)
  }
  await writeFile(join(dir, 'live.txt'), 'object-with-a-long-enough-name-0000.bin\n')
})
after(async () => {
  if (mounted) execFileSync('umount', [full])
  await rm(dir, { recursive: true, force: true })
})

function assertDiskFull (result: Awaited<ReturnType<typeof runSourceCli>>, path: string): void {
  assert.equal(result.code, 1, result.stderr)
  assert.match(result.stderr, /\(KEYDIFF_DISK_FULL\)\n$/)
  assert.ok(result.stderr.includes(path), `names ${path}: ${result.stderr}`)
  // after the progress lines of the phases that ran, one line
  assert.equal(result.stderr.trim().split('\n').filter(line => !/ · .*done in /.test(line)).length, 1, `one line: ${result.stderr}`)
  assert.doesNotMatch(result.stderr, /^\s+at /m)
}

/** Fills the tmpfs so that `pages` pages stay free. */
async function leaveFree (pages: number): Promise<void> {
  await rm(join(full, 'fill'), { force: true })
  await writeFile(join(full, 'fill'), Buffer.alloc(Math.max(0, TMPFS_PAGES - pages) * PAGE))
}

function needsTmpfs (t: TestContext): boolean {
  if (!mounted) t.skip(why)
  return mounted
}

test('keydiff diff --output /dev/full: KEYDIFF_DISK_FULL naming the file, one line, exit 1', async () => {
  const result = await runSourceCli(['diff', '--candidates', join(dir, 'candidates.txt'), '--references', join(dir, 'refs.txt'), '--output', '/dev/full', '--quiet'])
  assertDiskFull(result, '/dev/full')
})

test('keydiff diff with standard output on /dev/full: KEYDIFF_DISK_FULL naming standard output', async () => {
  const fd = openSync('/dev/full', 'w')
  try {
    const result = await runSourceCli(['diff', '--candidates', join(dir, 'candidates.txt'), '--references', join(dir, 'refs.txt'), '--quiet'], { stdout: fd })
    assertDiskFull(result, 'standard output')
  } finally {
    closeSync(fd)
  }
})

test('keydiff plan --out on a full disk: KEYDIFF_DISK_FULL naming the plan, and no plan is left', async t => {
  if (!needsTmpfs(t)) return
  await leaveFree(1)
  const plan = join(full, 'plan.jsonl')
  const result = await runSourceCli(['plan', '--store', join(dir, 'store'), '--references', join(dir, 'live.txt'), '--out', plan, '--max-orphan-share', '1', '--max-missing-share', '1'])
  assertDiskFull(result, plan)
  await assert.rejects(stat(plan), { code: 'ENOENT' })
})

test('keydiff diff spilling to a full --tmpdir: KEYDIFF_DISK_FULL naming the spill directory', async t => {
  if (!needsTmpfs(t)) return
  await leaveFree(0)
  // More references than a 2 MiB budget holds: exact mode spills them.
  const many = Array.from({ length: 300_000 }, (_, i) => `blobs/${i.toString(16).padStart(8, '0')}/object.bin`)
  await writeFile(join(dir, 'many-refs.txt'), many.join('\n') + '\n')
  await writeFile(join(dir, 'many-candidates.txt'), many.filter((_, i) => i % 3 === 0).join('\n') + '\nblobs/orphan.bin\n')
  const result = await runSourceCli(['diff', '--candidates', join(dir, 'many-candidates.txt'), '--references', join(dir, 'many-refs.txt'), '--memory', '2MiB', '--tmpdir', full, '--quiet'])
  assertDiskFull(result, full)
})

test('keydiff apply with its audit log on a disk that fills: KEYDIFF_DISK_FULL naming the audit log', async t => {
  if (!needsTmpfs(t)) return
  const plan = join(dir, 'apply-plan.jsonl')
  const planned = await runSourceCli(['plan', '--store', join(dir, 'store'), '--references', join(dir, 'live.txt'), '--out', plan, '--max-orphan-share', '1', '--max-missing-share', '1'])
  assert.equal(planned.code, 0, planned.stderr)
  // Room for the verified copy of the plan that apply keeps beside its audit log, and one page more.
  await leaveFree(Math.ceil((await stat(plan)).size / PAGE) + 1)
  const audit = join(full, 'audit.jsonl')
  const result = await runSourceCli(['apply', plan, '--action', 'quarantine', '--audit', audit])
  assertDiskFull(result, audit)
})
