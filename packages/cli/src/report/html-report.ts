import { formatBytes, formatDuration, type ApplyResult, type PlanHeader, type PlanSummary } from '@keydiff/core'
import { actedLabel, actedOn } from './action-words.ts'
import { esc, n, page, shellQuote } from './html.ts'
import { prefixChart, topPrefixes } from './prefix-chart.ts'

export { REPORT_COLORS } from './html.ts'

export interface ReportInput {
  /** The run's name, shown in the title. */
  name: string
  plan: PlanSummary
  /** The outcome of acting on the plan; undefined for a dry run or when nothing was acted on. */
  applied?: ApplyResult | undefined
  /**
   * Where a quarantine moved the keys (locations, as the audit log's `start` record names
   * them). @default none shown
   */
  trash?: readonly string[] | undefined
  /** Wall time of each phase in milliseconds, in order. */
  timings?: ReadonlyArray<{ phase: string, ms: number }>
  /** The config file of the run: an object store's restore command names it for the store's endpoint and credentials. */
  config?: string | undefined
}

/**
 * A self-contained HTML page for the plans of a run (inline SVG, no script, no network): what
 * happened in its title and figures, where a quarantine went and how to restore it, the
 * audit log, the plan's guards and fence, and keys and bytes per prefix on scaled axes.
 */
export function renderReport (inputs: readonly ReportInput[]): string {
  const title = inputs.length === 1 ? headline(inputs[0] as ReportInput) : `keydiff · ${inputs.length} runs`
  return page(esc(title), inputs.map(section).join('\n'))
}

/** `keydiff plan · blobs` for a dry run; after an apply, what it did: `keydiff · blobs: 40 quarantined, 3 failed`. */
export function headline (input: ReportInput): string {
  const applied = input.applied
  if (applied === undefined) return `keydiff plan · ${input.name}`
  return `keydiff · ${input.name}: ${outcomeWords(applied)}`
}

function outcomeWords (applied: ApplyResult): string {
  return [
    actedOn(n(applied.done), applied.action),
    ...(applied.failed > 0 ? [`${n(applied.failed)} failed`] : []),
    ...(applied.dropped > 0 ? [`${n(applied.dropped)} dropped by re-check`] : []),
    ...(applied.skipped > 0 ? [`${n(applied.skipped)} done before`] : [])
  ].join(', ')
}

function section (input: ReportInput): string {
  const { header, prefixes } = input.plan
  const counts = header.counts
  const applied = input.applied
  const cards: Array<[string, string, boolean?]> = [
    ['candidates', n(counts.candidates)],
    ['reference rows read', n(counts.references)],
    ['orphans', n(counts.orphans)],
    ['planned', `${n(counts.planned)} · ${formatBytes(header.bytes.planned)}`],
    ...(applied === undefined
      ? []
      : [
          [actedLabel(applied.action), `${n(applied.done)} · ${formatBytes(applied.bytesDone)}`],
          ['failed', n(applied.failed), applied.failed > 0],
          ['dropped by re-check', n(applied.dropped)]
        ] as Array<[string, string, boolean?]>),
    ['too young (fence)', `${n(counts.tooYoung)} · ${formatBytes(header.bytes.tooYoung)}`],
    ['protected', n(counts.protected)],
    ['undated', n(counts.undated)]
  ]
  const rows = topPrefixes(prefixes)
  return `<section>
<h1>${esc(headline(input))}</h1>
<div class="muted">plan created ${esc(header.createdAt)} · mode ${esc(header.mode)} · plan file <code>${esc(input.plan.path)}</code>${applied === undefined ? ' · <b>plan only: nothing was changed</b>' : ''}</div>
<div class="cards">${cards.map(([label, value, bad]) => `<div class="card"><span class="muted">${esc(label)}</span><b${bad === true ? ' class="bad"' : ''}>${esc(value)}</b></div>`).join('')}</div>
${applied === undefined ? '' : whatHappened(input, applied)}
<h2>Planned per prefix</h2>
${rows.length === 0 ? '<p class="muted">Nothing is planned.</p>' : prefixChart(rows)}
<h2>Fence</h2>
${fenceTable(header)}
${guardsTable(header)}
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

/** The exact command that undoes a quarantine of this plan, as a user pastes it. */
export function restoreCommand (applied: ApplyResult, config?: string): string {
  const defaultAudit = `${applied.plan}.audit.jsonl`
  return [
    'keydiff', 'restore', shellQuote(applied.plan),
    ...(applied.audit === defaultAudit ? [] : ['--audit', shellQuote(applied.audit)]),
    ...(config === undefined ? [] : ['--config', shellQuote(config)])
  ].join(' ')
}

/** Whether the quarantine went to a local directory: then `keydiff restore` needs nothing but the plan. */
function inDirectory (applied: ApplyResult, trash: readonly string[]): boolean {
  return trash.length === 0 ? applied.sink.startsWith('quarantine:dir:') : trash.every(location => location.startsWith('file:'))
}

function whatHappened (input: ReportInput, applied: ApplyResult): string {
  const rows: Array<[string, string]> = [
    ['action', `${esc(applied.action)} through <code>${esc(applied.sink)}</code>`]
  ]
  if (applied.action === 'quarantine') {
    const trash = input.trash ?? []
    rows.push(['quarantine', trash.length === 0 ? '<span class="muted">not recorded by the sink</span>' : trash.map(location => `<code>${esc(location)}</code>`).join('<br>')])
    // an object store's restore opens the store with the run's config (its endpoint and credentials)
    rows.push(['restore with', `<pre>${esc(restoreCommand(applied, inDirectory(applied, trash) ? undefined : input.config))}</pre>`])
  } else if (applied.done > 0) {
    rows.push(['restore', '<span class="muted">not possible with keydiff: this action is not a quarantine</span>'])
  }
  rows.push(['audit log', `<code>${esc(applied.audit)}</code> <span class="muted">(every key acted on, failed or dropped, one JSON line each)</span>`])
  const failures = applied.failures.slice(0, 10)
  if (failures.length > 0) {
    rows.push(['first failures', failures.map(failure => `<code>${esc(JSON.stringify(failure.key))}</code>: ${esc(failure.error)}`).join('<br>')])
  }
  if (applied.takenOver !== undefined) rows.push(['lock', `taken over from ${esc(applied.takenOver.owner)} on ${esc(applied.takenOver.host)}`])
  return `<h2>What happened</h2>\n<table>\n${rows.map(([label, value]) => `<tr><th>${esc(label)}</th><td>${value}</td></tr>`).join('\n')}\n</table>`
}

function fenceTable (header: PlanHeader): string {
  const basis = header.fenceBasis
  return `<table>
<tr><th>references true at</th><td>${esc(basis?.time ?? header.referenceScanStartedAt)}${basis === undefined ? ' <span class="muted">(reference scan started)</span>' : ` <span class="muted">(${esc(basis.basis)}${basis.source === null ? '' : ` of <code>${esc(basis.source)}</code>`})</span>`}</td></tr>
<tr><th>grace</th><td>${esc(formatDuration(header.graceMs))}</td></tr>
<tr><th>fence</th><td>${esc(header.fence)} <span class="muted">(objects modified later are never planned)</span></td></tr>
<tr><th>undated objects</th><td>${header.includeUndated ? 'planned' : 'left out'}</td></tr>
<tr><th>protected patterns</th><td>${header.protect.length === 0 ? '<span class="muted">none</span>' : header.protect.map(p => `<code>${esc(p)}</code>`).join(' ')}</td></tr>
</table>`
}

function guardsTable (header: PlanHeader): string {
  const guards = header.guards
  if (guards === undefined) return ''
  const share = (value: number | null): string => value === null ? 'not measured' : `${Math.round(value * 1000) / 10}%`
  return `<h2>Guards</h2>
<table>
<tr><th></th><th>measured</th><th>limit</th></tr>
<tr><th>references that name no candidate</th><td class="num">${esc(share(guards.missingShare))}</td><td class="num">${esc(share(guards.maxMissingShare))}</td></tr>
<tr><th>candidates planned</th><td class="num">${esc(share(guards.orphanShare))}</td><td class="num">${esc(share(guards.maxOrphanShare))}</td></tr>
<tr><th>empty references allowed</th><td>${guards.allowEmptyReferences ? 'yes' : 'no'}</td><td></td></tr>
</table>`
}
