import { formatBytes } from '../util/size.ts'
import { formatDuration } from './duration.ts'
import type { PlanSummary } from './plan-types.ts'

/** The per-prefix report of a plan as a plain-text table, with the fence and what was left out. */
export function formatPlanSummary (summary: PlanSummary): string {
  const n = (value: number): string => value.toLocaleString('en-US')
  const { header } = summary
  const rows = summary.prefixes.map(total => [total.prefix === '' ? '(top level)' : total.prefix, n(total.count), formatBytes(total.bytes)])
  rows.push(['total', n(header.counts.planned), formatBytes(header.bytes.planned)])
  const titles = ['prefix', 'keys', 'bytes']
  const widths = titles.map((title, i) => Math.max(title.length, ...rows.map(row => (row[i] as string).length)))
  const line = (cells: string[]): string => cells.map((cell, i) => i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number)).join('  ')
  const rule = widths.map(width => '-'.repeat(width)).join('  ')
  const body = rows.map(line)
  body.splice(body.length - 1, 0, rule)
  const left = [
    `${n(header.counts.tooYoung)} too young (modified after the fence, ${formatBytes(header.bytes.tooYoung)})`,
    `${n(header.counts.protected)} protected`,
    `${n(header.counts.undated)} without a modification time${header.includeUndated ? '' : ' (left out)'}`
  ]
  return [
    `plan ${summary.path}`,
    `fence ${header.fence} (reference scan started ${header.referenceScanStartedAt}, grace ${formatDuration(header.graceMs)})`,
    `${n(header.counts.candidates)} candidates, ${n(header.counts.references)} references, ${n(header.counts.orphans)} orphans; left out: ${left.join(', ')}`,
    '',
    line(titles),
    rule,
    ...body,
    ''
  ].join('\n')
}
