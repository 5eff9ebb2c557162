import { formatBytes } from '../util/size.ts'
import { formatDuration } from './duration.ts'
import type { PlanSummary } from './plan-types.ts'
import { formatCount } from '../util/count.ts'

// C0 controls, DEL and C1 controls. The CLI escapes all but newline and tab for a terminal, so a
// prefix holding one, escaped after the table was laid out, pushed its row's cells out of line
// (and a newline or tab broke the row). Escaped here, a cell is measured as it is shown.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g
const shown = (text: string): string => text.replace(CONTROL, char => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)

/**
 * The per-prefix report of a plan as a plain-text table, with the fence and what was left out.
 * Control characters in a prefix (newline and tab too) are written as `\u001b`, so that every
 * row lines up.
 */
export function formatPlanSummary (summary: PlanSummary): string {
  const n = formatCount
  const { header } = summary
  const rows = summary.prefixes.map(total => [total.prefix === '' ? '(top level)' : shown(total.prefix), n(total.count), formatBytes(total.bytes)])
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
    ...(header.counts.hidden === undefined ? [] : [`${n(header.counts.hidden)} hidden${header.protectHidden === false ? '' : ' (protected)'}`]),
    `${n(header.counts.undated)} without a modification time${header.includeUndated ? '' : ' (left out)'}`,
    ...(header.counts.tooRecentlyOrphaned === undefined || header.orphanAge === undefined ? [] : [`${n(header.counts.tooRecentlyOrphaned)} orphaned for less than ${formatDuration(header.orphanAge.minAgeMs)} (${formatBytes(header.bytes.tooRecentlyOrphaned ?? 0)})`])
  ]
  const basis = header.fenceBasis
  const since = basis === undefined
    ? `reference scan started ${header.referenceScanStartedAt}`
    : `references true at ${basis.time}: ${basis.basis}${basis.source === null ? '' : ` of ${basis.source}`}`
  const distinct = distinctReferences(summary)
  const notes: string[] = []
  if ((header.counts.excluded ?? 0) > 0) notes.push(`${n(header.counts.excluded ?? 0)} stored keys excluded before the diff (.keydiff${(header.exclude ?? []).map(prefix => `, ${prefix}`).join('')})`)
  if ((header.counts.foreignReferences ?? 0) > 0) notes.push(`${n(header.counts.foreignReferences ?? 0)} references name other stores than ${header.store ?? 'this one'}: matched to nothing here`)
  if ((header.counts.conflicts ?? 0) > 0) notes.push(`${n(header.counts.conflicts ?? 0)} unreferenced objects named by references to other stores, kept (prefixMismatch = "ignore")`)
  for (const entry of header.unlisted ?? []) {
    notes.push(`${n(entry.count)} names in ${entry.source} could not be listed (not valid UTF-8), never planned: ${entry.examples.join(', ')}`)
  }
  const guards = header.guards
  if (guards !== undefined) {
    const share = (value: number | null): string => value === null ? 'not measured' : `${Math.round(value * 1000) / 10}%`
    notes.push(`guards: ${share(guards.missingShare)} of references missing (limit ${share(guards.maxMissingShare)}), ${share(guards.orphanShare)} of candidates planned (limit ${share(guards.maxOrphanShare)})`)
  }
  return [
    `plan ${summary.path}`,
    `fence ${header.fence} (${since}, grace ${formatDuration(header.graceMs)})`,
    `${n(header.counts.candidates)} candidates, ${n(header.counts.references)} reference rows read${distinct === undefined ? '' : ` (${n(distinct)} distinct keys)`}, ${n(header.counts.orphans)} orphans; left out: ${left.join(', ')}`,
    ...notes,
    '',
    line(titles),
    rule,
    ...body,
    ''
  ].join('\n')
}

/**
 * The distinct keys the references name, when the diff counted the references that name nothing
 * stored (exact mode with the missing-share guard on): those plus the candidates they matched,
 * as the guards count them (a listing names each key once). A reference kept in both spellings
 * is one key. Rows read count every row of every source, so keys repeated across the unioned
 * sources count once here only.
 */
function distinctReferences (summary: PlanSummary): number | undefined {
  const missing = summary.diff.missing
  if (missing === undefined) return undefined
  const { counts } = summary.header
  return Math.max(0, missing.count - (counts.bothSpellings ?? 0)) + Math.max(0, counts.candidates - counts.orphans)
}
