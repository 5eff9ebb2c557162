import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { ApplyResult, PlanSummary } from '@keydiff/core'
import { bytesScale, countScale } from '../src/report/axis.ts'
import { renderReport, REPORT_COLORS } from '../src/report/html-report.ts'
import { countColor, requireChromium, screenshot } from './report-screenshot.ts'

let dir = ''
before(async () => {
  requireChromium()
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
      fenceBasis: { time: '2026-11-22T11:59:00.000Z', source: 'postgres:main:files.path', basis: 'read started' },
      guards: { allowEmptyReferences: false, maxMissingShare: 0.05, maxOrphanShare: 0.5, missingShare: 0.012, orphanShare: 0.256 },
      counts: { candidates: 100_000, references: 80_000, orphans: 30_000, planned: 25_600, tooYoung: 300, undated: 0, protected: 100 },
      bytes: { planned: 860 * 1_048_576, tooYoung: 1024 },
      body: { lines: 25_600, bytes: 1, sha256: 'x' },
      checksum: 'x'
    }
  }
}

test('the HTML report renders in headless Chromium: both bar charts are drawn on axes, text is escaped', async () => {
  const html = renderReport([{ name: 'archive <prune>', plan: summary(), timings: [{ phase: 'plan', ms: 1234 }] }])
  assert.ok(!html.includes('<prune>'), 'names are escaped')
  assert.ok(!/<script|https?:\/\//.test(html.replace('http://www.w3.org/2000/svg', '')), 'self-contained: no script, no network')
  assert.match(html, /<title>keydiff plan · archive &#60;prune&#62;<\/title>/, 'a dry run is titled a plan')
  assert.match(html, /plan only: nothing was changed/)
  // the scales: keys up to 1,000, bytes up to 40 MiB, each labelled in its unit
  assert.match(html, />1,000<\/text>/)
  assert.match(html, />40 MiB<\/text>/)
  assert.match(html, /<h2>Guards<\/h2>[\s\S]*1\.2%[\s\S]*5%[\s\S]*25\.6%[\s\S]*50%/, 'the guards: measured and limit')
  assert.match(html, /read started of <code>postgres:main:files\.path<\/code>/, 'the fence basis')
  const png = await screenshot(html, dir, 'plan')
  // 30 bars per chart at 16 px high: thousands of pixels of each colour when the SVG is drawn.
  assert.ok(countColor(png, REPORT_COLORS.count) > 5_000, 'the keys chart is drawn')
  assert.ok(countColor(png, REPORT_COLORS.bytes) > 5_000, 'the bytes chart is drawn')
  // two axes, each a 2 px line 720 px down the bars and 260 px along them, with ticks
  assert.ok(countColor(png, REPORT_COLORS.axis) > 3_000, `the axes are drawn (${countColor(png, REPORT_COLORS.axis)} px)`)
})

test('after an apply the report says what happened: quarantined, failed, dropped, where to, how to restore, escaped', async () => {
  const plan = summary()
  plan.path = '/var/keydiff/runs <a&b>/plan-1.jsonl'
  const applied: ApplyResult = {
    plan: plan.path,
    planId: 'x',
    action: 'quarantine',
    sink: 'quarantine:dir:/data/store',
    audit: `${plan.path}.audit.jsonl`,
    planned: 45,
    skipped: 0,
    otherTrash: 0,
    rechecked: 0,
    dropped: 2,
    done: 40,
    bytesDone: 40 * 1_048_576,
    failed: 3,
    failures: [{ key: 'collection-00/<bad>', error: 'EACCES & more', attempts: 5 }],
    takenOver: undefined
  }
  const html = renderReport([{ name: "blobs 'n' <co>", plan, applied, trash: ['file:///data/trash <1>/'], timings: [{ phase: 'plan', ms: 10 }, { phase: 'apply', ms: 20 }] }])
  assert.ok(!/<co>|<a&b>|<bad>|<1>/.test(html), 'every name, path and error is escaped')
  assert.match(html, /<title>keydiff · blobs &#39;n&#39; &#60;co&#62;: 40 quarantined, 3 failed, 2 dropped by re-check<\/title>/)
  assert.doesNotMatch(html, /keydiff plan ·|40 quarantine[^d]|nothing was changed/)
  assert.match(html, /<span class="muted">quarantined<\/span><b>40 · 40\.0 MiB<\/b>/)
  assert.match(html, /<code>file:\/\/\/data\/trash &#60;1&#62;\/<\/code>/, 'where the quarantine went')
  // the restore command, quoted for a shell, then escaped for HTML
  assert.match(html, /<pre>keydiff restore &#39;\/var\/keydiff\/runs &#60;a&#38;b&#62;\/plan-1\.jsonl&#39;<\/pre>/)
  assert.match(html, /<th>audit log<\/th><td><code>\/var\/keydiff\/runs &#60;a&#38;b&#62;\/plan-1\.jsonl\.audit\.jsonl<\/code>/)
  assert.match(html, /collection-00\/&#60;bad&#62;[\s\S]*EACCES &#38; more/)
  const png = await screenshot(html, dir, 'applied')
  assert.ok(countColor(png, REPORT_COLORS.count) > 5_000, 'the keys chart is drawn')
  assert.ok(countColor(png, REPORT_COLORS.axis) > 3_000, 'the axes are drawn')

  const s3 = renderReport([{ name: 'blobs', plan, applied: { ...applied, sink: 'quarantine:s3://b/->s3://b/.keydiff-trash/' }, trash: ['s3://b/.keydiff-trash/'], config: '/etc/keydiff.toml' }])
  assert.match(s3, /<code>s3:\/\/b\/\.keydiff-trash\/<\/code>/)
  // an object store's quarantine is restored through its driver, opened with the run's config
  assert.match(s3, /<pre>keydiff restore &#39;\/var\/keydiff\/runs &#60;a&#38;b&#62;\/plan-1\.jsonl&#39; --config \/etc\/keydiff\.toml<\/pre>/)

  const deleted = renderReport([{ name: 'blobs', plan, applied: { ...applied, action: 'delete', audit: '/elsewhere/audit.jsonl', failed: 0, dropped: 0, failures: [] } }])
  assert.match(deleted, /<title>keydiff · blobs: 40 deleted<\/title>/)
  assert.doesNotMatch(deleted, /keydiff restore/, 'a delete offers no restore')
  assert.match(deleted, /<code>\/elsewhere\/audit\.jsonl<\/code>/)
})

test('the scales count from zero past the largest value in round steps of the unit', () => {
  assert.deepEqual(countScale(1000).ticks, [0, 250, 500, 750, 1000])
  assert.deepEqual(countScale(0).ticks, [0, 1])
  assert.deepEqual(countScale(3).ticks, [0, 1, 2, 3])
  const bytes = bytesScale(40 * 1_048_576)
  assert.deepEqual(bytes.ticks.map(bytes.label), ['0', '10 MiB', '20 MiB', '30 MiB', '40 MiB'])
  const ten = bytesScale(10 * 1_048_576)
  assert.deepEqual(ten.ticks.map(ten.label), ['0', '2.5 MiB', '5 MiB', '7.5 MiB', '10 MiB'])
  assert.deepEqual(countScale(10).ticks, [0, 5, 10], 'keys are whole: no step of 2.5')
  const small = bytesScale(1536)
  assert.deepEqual(small.ticks.map(small.label), ['0', '0.5 KiB', '1 KiB', '1.5 KiB'])
  for (const max of [1, 7, 999, 1024, 123_456_789, 5e12]) {
    for (const scale of [countScale(max), bytesScale(max)]) {
      assert.ok(scale.top >= max && scale.ticks[0] === 0 && scale.ticks.at(-1) === scale.top, `${max}: ${scale.ticks.join(',')}`)
      assert.ok(scale.ticks.length >= 2 && scale.ticks.length <= 11, `${max}: ${scale.ticks.length} ticks`)
    }
  }
})
