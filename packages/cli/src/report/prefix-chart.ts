import { formatBytes, type PrefixTotal } from '@keydiff/core'
import { bytesScale, countScale, horizontalAxis } from './axis.ts'
import { esc, LABEL_COLOR, n, REPORT_COLORS, truncate } from './html.ts'

const MAX_BARS = 30

/** The largest prefixes by bytes; the rest folded into one bar, so the chart stays readable. */
export function topPrefixes (prefixes: readonly PrefixTotal[]): PrefixTotal[] {
  const sorted = [...prefixes].sort((a, b) => b.bytes - a.bytes || b.count - a.count)
  if (sorted.length <= MAX_BARS) return sorted
  const rest = sorted.slice(MAX_BARS - 1)
  return [...sorted.slice(0, MAX_BARS - 1), {
    prefix: `(${rest.length} other prefixes)`,
    count: rest.reduce((sum, p) => sum + p.count, 0),
    bytes: rest.reduce((sum, p) => sum + p.bytes, 0)
  }]
}

/**
 * Two horizontal bar charts side by side, keys and bytes per prefix, each on its own scale
 * from zero with a labelled axis, so a bar's length can be read, not only compared.
 */
export function prefixChart (rows: readonly PrefixTotal[]): string {
  const label = 240
  const bar = 330
  const plot = bar - 70
  const gap = 40
  const row = 24
  const top = 28
  const bottom = top + rows.length * row
  const width = label + 2 * bar + gap + 20
  const height = bottom + 44
  const keys = countScale(Math.max(...rows.map(r => r.count), 0))
  const bytes = bytesScale(Math.max(...rows.map(r => r.bytes), 0))
  const bytesX = label + bar + gap
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="planned keys and bytes per prefix">`,
    `<text x="${label}" y="16" font-size="12" fill="${LABEL_COLOR}">keys</text>`,
    `<text x="${bytesX}" y="16" font-size="12" fill="${LABEL_COLOR}">bytes</text>`,
    horizontalAxis({ x: label, width: plot, top: top - 4, bottom, scale: keys, unit: 'keys' }),
    horizontalAxis({ x: bytesX, width: plot, top: top - 4, bottom, scale: bytes, unit: 'bytes' })
  ]
  rows.forEach((r, i) => {
    const y = top + i * row
    const countWidth = r.count === 0 ? 0 : Math.max(1, Math.round(r.count / keys.top * plot))
    const bytesWidth = r.bytes === 0 ? 0 : Math.max(1, Math.round(r.bytes / bytes.top * plot))
    parts.push(
      `<text x="${label - 8}" y="${y + 15}" font-size="12" text-anchor="end" font-family="ui-monospace, monospace">${esc(truncate(r.prefix === '' ? '(top level)' : r.prefix, 32))}</text>`,
      `<rect x="${label + 1}" y="${y + 4}" width="${countWidth}" height="${row - 8}" fill="${REPORT_COLORS.count}"><title>${esc(r.prefix)}: ${n(r.count)} keys</title></rect>`,
      `<text x="${label + countWidth + 6}" y="${y + 15}" font-size="11" fill="${LABEL_COLOR}">${n(r.count)}</text>`,
      `<rect x="${bytesX + 1}" y="${y + 4}" width="${bytesWidth}" height="${row - 8}" fill="${REPORT_COLORS.bytes}"><title>${esc(r.prefix)}: ${esc(formatBytes(r.bytes))}</title></rect>`,
      `<text x="${bytesX + bytesWidth + 6}" y="${y + 15}" font-size="11" fill="${LABEL_COLOR}">${esc(formatBytes(r.bytes))}</text>`
    )
  })
  parts.push('</svg>')
  return parts.join('\n')
}
