import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { REPORT_COLORS } from '../src/report/html-report.ts'
import { countColor, requireChromium, screenshot } from './report-screenshot.ts'
import { runMain } from './run-cli.ts'
import { runSourceCli } from './run-source-cli.ts'

let dir = ''
before(async () => {
  requireChromium()
  dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-report-'))
})
after(async () => { if (dir !== '') await rm(dir, { recursive: true, force: true }) })

const OLD = new Date(Date.now() - 200 * 3_600_000)

async function put (root: string, keys: readonly string[], bytes: number): Promise<void> {
  for (const key of keys) {
    const path = join(root, key)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, 'x'.repeat(bytes))
    await utimes(path, OLD, OLD)
  }
}

async function files (root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries.filter(entry => entry.isFile() && !join(entry.parentPath, entry.name).includes('/.keydiff/')).map(entry => join(entry.parentPath, entry.name).slice(root.length + 1)).sort()
}

const unescape = (html: string): string => html.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))

test('keydiff report --history charts two real runs; the run report names the quarantine, and its restore command brings the files back', async () => {
  const root = join(dir, 'store <&>')
  const kept = ['data/a.bin', 'data/b.bin']
  await put(root, kept, 10)
  await put(root, ['data/old-1.bin', 'data/old-2.bin'], 1000)
  const refs = join(dir, 'refs.txt')
  await writeFile(refs, kept.map(key => `${key}\n`).join(''))
  const file = join(dir, 'keydiff.toml')
  await writeFile(file, `
[stores.local]
type = "directory"
path = ${JSON.stringify(root)}

[[runs]]
name = "blobs"
candidates = { store = "local" }
references = [{ file = ${JSON.stringify(refs)} }]
action = { type = "quarantine" }
`)
  const first = await runMain(['run', '--config', file])
  assert.equal(first.code, 0, first.stderr)
  assert.deepEqual(await files(root), kept)

  const later = ['img/c.bin', 'img/d.bin', 'img/e.bin']
  await put(root, later, 2048)
  const report = join(dir, 'report.html')
  const second = await runMain(['run', '--config', file, '--report', report])
  assert.equal(second.code, 0, second.stderr)
  assert.deepEqual(await files(root), kept)

  // the run's report: what happened, where it went, how to undo it
  const html = await readFile(report, 'utf8')
  assert.match(html, /<title>keydiff · blobs: 3 quarantined<\/title>/)
  assert.match(html, /<span class="muted">quarantined<\/span><b>3 · 6\.00 KiB<\/b>/)
  assert.ok(!html.includes('store <&>'), 'paths are escaped')
  const trash = /<th>quarantine<\/th><td><code>([^<]*)<\/code>/.exec(html)?.[1]
  assert.ok(trash !== undefined && unescape(trash).includes(join(root, '.keydiff')), `the quarantine is named: ${trash}`)
  const audit = /<th>audit log<\/th><td><code>([^<]*)<\/code>/.exec(html)?.[1] ?? ''
  assert.match(unescape(audit), /\/\.keydiff\/blobs\/plan-.*\.jsonl\.audit\.jsonl$/)
  const command = unescape(/<pre>([^<]*)<\/pre>/.exec(html)?.[1] ?? '')
  const restoreArgs = /^keydiff restore (\S+\/\.keydiff\/blobs\/plan-\S+\.jsonl)$/.exec(command)
  assert.ok(restoreArgs !== null, `a restore command: ${command}`)
  const restored = await runSourceCli(['restore', restoreArgs[1] as string])
  assert.equal(restored.code, 0, restored.stderr)
  assert.deepEqual(await files(root), [...kept, ...later].sort(), 'the command in the report restores what the run quarantined')

  // a dry run is history too: planned, nothing done
  const dry = await runMain(['run', '--config', file, '--dry-run'])
  assert.equal(dry.code, 0, dry.stderr)

  // the history page, through the CLI as a user runs it
  const workdir = join(dir, '.keydiff', 'blobs')
  const page = join(dir, 'history.html')
  const written = await runSourceCli(['report', '--history', workdir, '--out', page])
  assert.equal(written.code, 0, written.stderr)
  assert.match(written.stdout, /wrote the history of 3 plans \(blobs\)/)
  const history = await readFile(page, 'utf8')
  assert.match(history, /<title>keydiff history · blobs<\/title>/)
  assert.match(history, /2 quarantined/)
  assert.match(history, /3 quarantined/)
  assert.match(history, /<td class="num">3<\/td><td class="num">3 · 6\.00 KiB<\/td><td><span class="muted">plan only<\/span>/, 'the dry run, newest first')
  assert.match(history, /7\.95 KiB reclaimed in all/)
  // the axes: orphans up to 3 keys, bytes up to 6 KiB
  assert.match(history, />3<\/text>/)
  assert.match(history, />6 KiB<\/text>/)
  const png = await screenshot(history, dir, 'history', 1000)
  assert.ok(countColor(png, REPORT_COLORS.count) > 2_000, 'the orphans chart is drawn')
  assert.ok(countColor(png, REPORT_COLORS.bytes) > 2_000, 'the bytes chart is drawn')
  assert.ok(countColor(png, REPORT_COLORS.axis) > 800, 'both charts have axes')

  // the directory of runs works too; a directory without plans is a usage error
  const all = await runSourceCli(['report', '--history', join(dir, '.keydiff'), '--last', '1'])
  assert.equal(all.code, 0, all.stderr)
  assert.match(all.stdout, /^<!doctype html>/)
  assert.match(all.stdout, />1 plan in </, '--last keeps the latest')
  const none = await runSourceCli(['report', '--history', root + '/data'])
  assert.equal(none.code, 2)
  assert.match(none.stderr, /no plans in/)
})
