import { formatBytes } from '@keydiff/core'
import { actedOn } from './action-words.ts'
import { bytesScale, countScale, verticalAxis, type Scale } from './axis.ts'
import { esc, LABEL_COLOR, n, page, REPORT_COLORS } from './html.ts'
import type { HistoryEntry, RunHistory } from './history.ts'

/**
 * A self-contained HTML page of a run's history: orphans found and bytes reclaimed per plan,
 * oldest left, as column charts on labelled axes, and a table of every plan and what its
 * applies did.
 */
export function renderHistory (runs: readonly RunHistory[]): string {
  const title = runs.length === 1 ? `keydiff history · ${(runs[0] as RunHistory).name}` : `keydiff history · ${runs.length} runs`
  return page(esc(title), runs.map(section).join('\n'))
}

function section (run: RunHistory): string {
  const entries = run.entries
  const reclaimed = entries.reduce((sum, entry) => sum + entry.bytesDone, 0)
  return `<section>
<h1>keydiff history · ${esc(run.name)}</h1>
<div class="muted">${n(entries.length)} plan${entries.length === 1 ? '' : 's'} in <code>${esc(run.workdir)}</code>${entries.length === 0 ? '' : ` · ${esc((entries[0] as HistoryEntry).createdAt)} to ${esc((entries.at(-1) as HistoryEntry).createdAt)} · ${esc(formatBytes(reclaimed))} reclaimed in all`}</div>
<h2>Orphans found per run</h2>
${columnChart(entries, entry => entry.orphans, countScale(Math.max(0, ...entries.map(entry => entry.orphans))), 'keys', REPORT_COLORS.count, entry => `${n(entry.orphans)} orphans`)}
<h2>Bytes reclaimed per run</h2>
${columnChart(entries, entry => entry.bytesDone, bytesScale(Math.max(0, ...entries.map(entry => entry.bytesDone))), 'bytes', REPORT_COLORS.bytes, entry => entry.action === null ? 'plan only' : formatBytes(entry.bytesDone))}
<h2>Plans</h2>
<table>
<tr><th>created</th><th>orphans</th><th>planned</th><th>what happened</th><th>reclaimed</th><th>plan file</th></tr>
${[...entries].reverse().map(row).join('\n')}
</table>
</section>`
}

function row (entry: HistoryEntry): string {
  const happened = entry.action === null
    ? '<span class="muted">plan only</span>'
    : esc([actedOn(n(entry.done), entry.action), ...(entry.failed > 0 ? [`${n(entry.failed)} failed`] : []), ...(entry.dropped > 0 ? [`${n(entry.dropped)} dropped by re-check`] : [])].join(', '))
  return `<tr><td>${esc(entry.createdAt)}</td><td class="num">${n(entry.orphans)}</td><td class="num">${n(entry.planned)} · ${esc(formatBytes(entry.plannedBytes))}</td><td>${happened}</td><td class="num">${esc(formatBytes(entry.bytesDone))}</td><td><code>${esc(entry.plan)}</code></td></tr>`
}

/** One column per plan, oldest left, on a scale from zero; dates under every column that has room. */
function columnChart (entries: readonly HistoryEntry[], value: (entry: HistoryEntry) => number, scale: Scale, unit: string, color: string, caption: (entry: HistoryEntry) => string): string {
  if (entries.length === 0) return '<p class="muted">No plans yet.</p>'
  const left = 90
  const top = 24
  const height = 220
  const column = Math.max(18, Math.min(60, Math.floor(720 / entries.length)))
  const plotWidth = entries.length * column
  const width = left + plotWidth + 30
  const bottom = top + height
  // a date label is about 70 px wide: label every k-th column
  const every = Math.ceil(80 / column)
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${bottom + 40}" role="img" aria-label="${esc(unit)} per run">`,
    verticalAxis({ x: left, width: plotWidth, top, height, scale, unit })
  ]
  entries.forEach((entry, i) => {
    const x = left + i * column
    const size = value(entry)
    const barHeight = size === 0 ? 0 : Math.max(1, Math.round(size / scale.top * height))
    parts.push(`<rect x="${x + 3}" y="${bottom - barHeight - 1}" width="${column - 6}" height="${barHeight}" fill="${color}"><title>${esc(entry.createdAt)}: ${esc(caption(entry))}</title></rect>`)
    const last = i === entries.length - 1
    if (i % every === 0 || last) {
      if (!last && entries.length - 1 - i < every) return
      parts.push(`<text x="${x + column / 2}" y="${bottom + 20}" font-size="11" fill="${LABEL_COLOR}" text-anchor="middle">${esc(shortDate(entry.createdAt))}</text>`)
    }
  })
  parts.push('</svg>')
  return parts.join('\n')
}

/** `11-22 12:00` from an ISO time: enough to tell scheduled runs apart. */
function shortDate (iso: string): string {
  const match = /^\d{4}-(\d\d-\d\d)T(\d\d:\d\d)/.exec(iso)
  return match === null ? iso : `${match[1] as string} ${match[2] as string}`
}
