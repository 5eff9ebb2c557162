import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'
import type { PlanSummary } from '@keydiff/core'
import { renderReport, REPORT_COLORS } from '../src/report/html-report.ts'
import { decodePng } from './png.ts'

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
let dir = ''
before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: npm test installs Debian's chromium when run as root (scripts/ensure-chromium.mjs); else apt-get install chromium, or set CHROMIUM`)
  dir = await mkdtemp(join(tmpdir(), 'keydiff-report-'))
})
after(async () => { if (dir !== '') await rm(dir, { recursive: true, force: true }) })

function summary (): PlanSummary {
  const prefixes = Array.from({ length: 40 }, (_, i) => ({ prefix: `collection-${String(i).padStart(2, '0')}/`, count: 1000 - i * 20, bytes: (40 - i) * 1_048_576 }))
  return {
    path: '/var/keydiff/plan.jsonl',
    prefixes,
    diff: {} as PlanSummary['diff'],
    header: {
      keydiff: 'plan',
      version: 2,
      createdAt: '2026-11-22T12:00:00.000Z',
      store: 's3://archive/',
      candidates: 's3://archive/<versions>',
      references: ['postgres:main:files.path', 'file:/etc/extra & "quoted".txt'],
      mode: 'exact',
      referenceScanStartedAt: '2026-11-22T11:59:00.000Z',
      graceMs: 86_400_000,
      fence: '2026-11-21T11:59:00.000Z',
      includeUndated: false,
      protect: ['**/*.lock'],
      counts: { candidates: 100_000, references: 80_000, orphans: 30_000, planned: 25_600, tooYoung: 300, undated: 0, protected: 100 },
      bytes: { planned: 860 * 1_048_576, tooYoung: 1024 },
      body: { lines: 25_600, bytes: 1, sha256: 'x' },
      checksum: 'x'
    }
  }
}

function countColor (png: ReturnType<typeof decodePng>, hex: string): number {
  const target = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16))
  let count = 0
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const [r, g, b] = png.pixel(x, y)
      if (Math.abs(r - (target[0] as number)) <= 2 && Math.abs(g - (target[1] as number)) <= 2 && Math.abs(b - (target[2] as number)) <= 2) count++
    }
  }
  return count
}

test('the HTML report renders in headless Chromium: both bar charts are drawn, text is escaped', async () => {
  const html = renderReport([{ name: 'archive <prune>', plan: summary(), timings: [{ phase: 'plan', ms: 1234 }] }])
  assert.ok(!html.includes('<prune>'), 'names are escaped')
  assert.ok(!/<script|https?:\/\//.test(html.replace('http://www.w3.org/2000/svg', '')), 'self-contained: no script, no network')
  const page = join(dir, 'report.html')
  const shot = join(dir, 'report.png')
  await writeFile(page, html)
  await promisify(execFile)(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${join(dir, 'profile')}`, '--hide-scrollbars',
    '--window-size=1200,1400', `--screenshot=${shot}`, `file://${page}`
  ], { timeout: 60_000 })
  const png = decodePng(await readFile(shot))
  assert.equal(png.width, 1200)
  // 30 bars per chart at 16 px high: thousands of pixels of each colour when the SVG is drawn.
  assert.ok(countColor(png, REPORT_COLORS.count) > 5_000, 'the keys chart is drawn')
  assert.ok(countColor(png, REPORT_COLORS.bytes) > 5_000, 'the bytes chart is drawn')
})
