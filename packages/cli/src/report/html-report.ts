import { formatBytes, type ApplyResult, type PlanSummary, type PrefixTotal } from '@keydiff/core'

export interface ReportInput {
  /** The run's name, shown as the title. */
  name: string
  plan: PlanSummary
  /** The outcome of acting on the plan; undefined for a dry run. */
  applied?: ApplyResult | undefined
  /** Wall time of each phase in milliseconds, in order. */
  timings?: ReadonlyArray<{ phase: string, ms: number }>
}

/** The bar colours; the screenshot test looks for them. */
export const REPORT_COLORS = { count: '#2563eb', bytes: '#d97706' } as const

const MAX_BARS = 30

/**
 * A self-contained HTML page for a plan: counts and bytes per prefix as a chart (inline SVG,
 * no script, no network), the fence, the sources and the timings.
 */
export function renderReport (inputs: readonly ReportInput[]): string {
  const title = inputs.length === 1 ? `keydiff plan · ${esc((inputs[0] as ReportInput).name)}` : `keydiff plans · ${inputs.length} runs`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #111827; background: #fff; }
  h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
  section + section { border-top: 1px solid #e5e7eb; margin-top: 32px; padding-top: 8px; }
  .muted { color: #6b7280; }
  .cards { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 16px; }
  .card { border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 14px; min-width: 130px; }
  .card b { display: block; font-size: 18px; }
  table { border-collapse: collapse; } td, th { padding: 4px 12px 4px 0; text-align: left; vertical-align: top; }
  th { color: #6b7280; font-weight: 500; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
  code { font: 12px ui-monospace, monospace; }
</style>
</head>
<body>
${inputs.map(section).join('\n')}
</body>
</html>
`
}

function section (input: ReportInput): string {
  const { header, prefixes } = input.plan
  const counts = header.counts
  const cards: Array<[string, string]> = [
    ['candidates', n(counts.candidates)],
    ['references', n(counts.references)],
    ['orphans', n(counts.orphans)],
    ['planned', `${n(counts.planned)} · ${formatBytes(header.bytes.planned)}`],
    ['too young (fence)', `${n(counts.tooYoung)} · ${formatBytes(header.bytes.tooYoung)}`],
    ['protected', n(counts.protected)],
    ['undated', n(counts.undated)],
    ...(input.applied === undefined ? [] : [['acted on', `${n(input.applied.done)} ${input.applied.action}`], ['failed', n(input.applied.failed)]] as Array<[string, string]>)
  ]
  const rows = topPrefixes(prefixes)
  return `<section>
<h1>keydiff plan · ${esc(input.name)}</h1>
<div class="muted">created ${esc(header.createdAt)} · mode ${esc(header.mode)} · plan file <code>${esc(input.plan.path)}</code>${input.applied === undefined ? ' · dry run: nothing was changed' : ''}</div>
<div class="cards">${cards.map(([label, value]) => `<div class="card"><span class="muted">${esc(label)}</span><b>${esc(value)}</b></div>`).join('')}</div>
<h2>Planned per prefix</h2>
${rows.length === 0 ? '<p class="muted">Nothing is planned.</p>' : chart(rows)}
<h2>Fence</h2>
<table>
<tr><th>reference scan started</th><td>${esc(header.referenceScanStartedAt)}</td></tr>
<tr><th>grace</th><td>${esc(duration(header.graceMs))}</td></tr>
<tr><th>fence</th><td>${esc(header.fence)} <span class="muted">(objects modified later are never planned)</span></td></tr>
<tr><th>undated objects</th><td>${header.includeUndated ? 'planned' : 'left out'}</td></tr>
<tr><th>protected patterns</th><td>${header.protect.length === 0 ? '<span class="muted">none</span>' : header.protect.map(p => `<code>${esc(p)}</code>`).join(' ')}</td></tr>
</table>
<h2>Sources</h2>
<table>
<tr><th>candidates</th><td><code>${esc(header.candidates)}</code></td></tr>
${header.references.map(ref => `<tr><th>references</th><td><code>${esc(ref)}</code></td></tr>`).join('\n')}
</table>
${input.timings === undefined || input.timings.length === 0
  ? ''
  : `<h2>Timings</h2>\n<table>${input.timings.map(t => `<tr><th>${esc(t.phase)}</th><td class="num">${(t.ms / 1000).toFixed(2)} s</td></tr>`).join('')}</table>`}
</section>`
}

function topPrefixes (prefixes: readonly PrefixTotal[]): PrefixTotal[] {
  const sorted = [...prefixes].sort((a, b) => b.bytes - a.bytes || b.count - a.count)
  if (sorted.length <= MAX_BARS) return sorted
  const rest = sorted.slice(MAX_BARS - 1)
  return [...sorted.slice(0, MAX_BARS - 1), {
    prefix: `(${rest.length} other prefixes)`,
    count: rest.reduce((sum, p) => sum + p.count, 0),
    bytes: rest.reduce((sum, p) => sum + p.bytes, 0)
  }]
}

/** Two horizontal bar columns per prefix: keys and bytes, each scaled to its own maximum. */
function chart (rows: readonly PrefixTotal[]): string {
  const label = 240
  const bar = 280
  const gap = 40
  const row = 24
  const top = 28
  const width = label + 2 * bar + gap + 20
  const height = top + rows.length * row + 8
  const maxCount = Math.max(1, ...rows.map(r => r.count))
  const maxBytes = Math.max(1, ...rows.map(r => r.bytes))
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="planned keys and bytes per prefix">`,
    `<text x="${label}" y="16" font-size="12" fill="#374151">keys</text>`,
    `<text x="${label + bar + gap}" y="16" font-size="12" fill="#374151">bytes</text>`
  ]
  rows.forEach((r, i) => {
    const y = top + i * row
    const countWidth = Math.max(1, Math.round(r.count / maxCount * (bar - 70)))
    const bytesWidth = r.bytes === 0 ? 0 : Math.max(1, Math.round(r.bytes / maxBytes * (bar - 70)))
    parts.push(
      `<text x="${label - 8}" y="${y + 15}" font-size="12" text-anchor="end" font-family="ui-monospace, monospace">${esc(truncate(r.prefix === '' ? '(top level)' : r.prefix, 32))}</text>`,
      `<rect x="${label}" y="${y + 4}" width="${countWidth}" height="${row - 8}" fill="${REPORT_COLORS.count}"><title>${esc(r.prefix)}: ${n(r.count)} keys</title></rect>`,
      `<text x="${label + countWidth + 6}" y="${y + 15}" font-size="11" fill="#374151">${n(r.count)}</text>`,
      `<rect x="${label + bar + gap}" y="${y + 4}" width="${bytesWidth}" height="${row - 8}" fill="${REPORT_COLORS.bytes}"><title>${esc(r.prefix)}: ${esc(formatBytes(r.bytes))}</title></rect>`,
      `<text x="${label + bar + gap + bytesWidth + 6}" y="${y + 15}" font-size="11" fill="#374151">${esc(formatBytes(r.bytes))}</text>`
    )
  })
  parts.push('</svg>')
  return parts.join('\n')
}

const n = (value: number): string => value.toLocaleString('en-US')

function duration (ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`
  if (ms % 60_000 === 0) return `${ms / 60_000} min`
  return `${(ms / 1000).toFixed(1)} s`
}

function truncate (text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`
}

function esc (text: string): string {
  return text.replace(/[&<>"']/g, ch => `&#${ch.charCodeAt(0)};`)
}
