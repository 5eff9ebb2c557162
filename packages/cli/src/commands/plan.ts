import { resolve } from 'node:path'
import {
  DEFAULT_GRACE, DEFAULT_MAX_MISSING_SHARE, DEFAULT_MAX_ORPHAN_SHARE, DEFAULT_MEMORY, directorySource, formatPlanSummary, jsonLinesSource, linesSource, parseDuration, plan, type DiffMode, type KeySource
} from '@keydiff/core'
import { LineWriter, type CommandIO } from '../io.ts'
import { parseOptions } from '../parse-options.ts'
import { inCliTerms } from '../plan-refused.ts'
import { Progress, progressMode } from '../report/progress.ts'
import { planPhases } from '../report/sweep-phases.ts'
import { logFailure, loggerFor, planFields } from '../run/run-log.ts'
import { UsageError } from '../usage-error.ts'
import { positiveInteger } from './store-options.ts'

export const PLAN_USAGE = `Usage: keydiff plan (--store <dir> | --candidates <src>) --references <src> [...] --out <plan> [options]

Writes a plan: the orphans that may be acted on, as JSON Lines with a checksummed header,
and prints counts and bytes per prefix. Nothing is changed: this is the dry run.
Candidates modified after the time the references were true minus the grace never enter
it, nor do hidden names (.x, _x but not _col=value). A plan whose inputs look wrong is
refused (exit 1): empty references, most references naming nothing stored, or nearly the
whole store planned; the message names the flag that overrides the guard.

Options:
  --store <dir>            a local directory as the candidates (size, mtime)
  --candidates <src>       or a listing: .jsonl with key, size, lastModified fields,
                           else one key per line (no dates: see --include-undated)
  --location <uri>         the store the --candidates listing is of (s3://bucket/prefix,
                           gs://bucket/prefix, file:///root); --store <dir> is file://<dir>
  --references <src>       keys in use; repeat to union every source     (required)
  --out <plan>             the plan file to write                         (required)
  --grace <duration>       e.g. 24h, 90m, 7d                              (default: ${DEFAULT_GRACE})
  --allow-zero-grace       confirm --grace 0: objects written while the scan ran may be planned
  --min-orphan-age <duration>  plan a key only once runs found it orphaned that long ago and
                           in every run since (needs --orphan-age-dir)    (default: off)
  --orphan-age-dir <dir>   where the first-seen times are kept between runs
  --references-as-of <t>   when the references were true (ISO time): the fence counts back
                           from it (default: each source's read start, or a file's
                           modification time when earlier; the earliest of them)
  --include-undated        plan candidates that have no modification time (default: off)
  --protect <glob>         keys never planned; repeat                     (e.g. '**/*.lock')
  --no-protect-hidden      plan hidden names too (.x, _x; _SUCCESS, .crc, _temporary/)
  --exclude <prefix>       keys under it are never candidates; repeat (a trash in the store)
  --allow-empty-references plan although the references are empty        (default: refused)
  --max-missing-share <s>  refuse when more than this share (0..1) of the references name
                           nothing stored (exact mode; 1 turns it off)   (default: ${DEFAULT_MAX_MISSING_SHARE})
  --max-orphan-share <s>   refuse when more than this share (0..1) of the stored keys would
                           be planned (1 turns it off)                    (default: ${DEFAULT_MAX_ORPHAN_SHARE})
  --prefix-mismatch <m>    a reference naming a stored key under another scheme or bucket:
                           error, ignore (keep the object) or delete      (default: error)
  --equal-scheme <a=b>     scheme a names the same stores as b; repeat   (s3a, s3n = s3; gcs = gs)
  --equal-authority <a=b>  bucket or host a is b; repeat
  --decode-references <d>  uri: percent-decode every reference; auto: only URIs (default: auto)
  --depth <n>              path segments per summary prefix              (default: 1)
  --mode exact|bloom       as in keydiff diff                             (default: exact)
  --memory <size>          memory budget                                  (default: ${DEFAULT_MEMORY})
  --sorted                 the reference files are sorted in byte order   (default: off)
  --json                   print the summary as JSON instead of a table
  --quiet                  no progress and no summary table (the plan is still written; --json still prints)
  --log-format text|json   json: the plan's counts and duration as a JSON log line on stderr (default: text)
  -h, --help               show this help
`

export async function planCommand (argv: string[], io: CommandIO): Promise<number> {
  const { values } = parse(argv)
  const out = new LineWriter(io.stdout, false)
  if (values.help === true) {
    await out.write(PLAN_USAGE)
    return 0
  }
  if ((values.store === undefined) === (values.candidates === undefined)) throw new UsageError('give exactly one of --store and --candidates', PLAN_USAGE)
  const referenceArgs = values.references ?? []
  if (referenceArgs.length === 0) throw new UsageError('--references is required: with none, every stored key would be an orphan', PLAN_USAGE)
  if (values.out === undefined) throw new UsageError('--out is required', PLAN_USAGE)
  if (referenceArgs.filter(src => src === '-').length > 1 || (values.candidates === '-' && referenceArgs.includes('-'))) throw new UsageError('standard input (-) can feed one source at most', PLAN_USAGE)
  const mode = (values.mode ?? 'exact') as DiffMode
  if (mode !== 'exact' && mode !== 'bloom') throw new UsageError(`--mode must be exact or bloom, not ${JSON.stringify(values.mode)}`, PLAN_USAGE)
  const grace = values.grace ?? DEFAULT_GRACE
  let graceMs: number
  try {
    graceMs = parseDuration(grace, 'grace')
  } catch {
    throw new UsageError(`--grace must be a duration such as 24h, 90m or 7d, not ${JSON.stringify(grace)}`, PLAN_USAGE)
  }
  if (graceMs === 0 && values['allow-zero-grace'] !== true) {
    throw new UsageError('--grace 0 can plan objects whose references were being written while the scan ran; add --allow-zero-grace to confirm', PLAN_USAGE)
  }
  if (values.location !== undefined && values.store !== undefined) throw new UsageError('--location is for --candidates: the location of --store <dir> is the directory itself', PLAN_USAGE)
  const store = values.store !== undefined ? resolve(values.store) : values.location
  const resolution = {
    ...(values['prefix-mismatch'] === undefined ? {} : { prefixMismatch: oneOf(values['prefix-mismatch'], '--prefix-mismatch', ['error', 'ignore', 'delete'] as const) }),
    ...(values['equal-scheme'] === undefined ? {} : { equalSchemes: pairs(values['equal-scheme'], '--equal-scheme') }),
    ...(values['equal-authority'] === undefined ? {} : { equalAuthorities: pairs(values['equal-authority'], '--equal-authority') }),
    ...(values['decode-references'] === undefined ? {} : { decodeReferences: oneOf(values['decode-references'], '--decode-references', ['uri', 'auto'] as const) })
  }
  const needsStore = Object.keys(resolution)
  if (store === undefined && needsStore.length > 0) throw new UsageError(`${needsStore.map(flag).join(', ')} resolve references against a store: give --location <uri> with --candidates`, PLAN_USAGE)
  if (values['references-as-of'] !== undefined && Number.isNaN(Date.parse(values['references-as-of']))) {
    throw new UsageError(`--references-as-of must be an ISO time such as 2026-01-31T12:00:00Z, not ${JSON.stringify(values['references-as-of'])}`, PLAN_USAGE)
  }
  const input = (src: string): string => src === '-' ? io.stdin as never : src
  const candidates: KeySource = values.store !== undefined
    ? directorySource({ root: values.store })
    : (values.candidates as string).endsWith('.jsonl')
        ? jsonLinesSource(input(values.candidates as string), { field: 'key', sizeField: 'size', lastModifiedField: 'lastModified' })
        : linesSource(input(values.candidates as string))
  const options = {
    candidates,
    references: referenceArgs.map(src => linesSource(input(src), { name: `references ${src === '-' ? '(standard input)' : src}`, sorted: values.sorted === true })),
    out: values.out,
    ...(store === undefined ? {} : { store }),
    ...resolution,
    grace,
    acknowledgeZeroGrace: values['allow-zero-grace'] === true,
    ...minOrphanAgeOptions(values['min-orphan-age'], values['orphan-age-dir']),
    includeUndated: values['include-undated'] === true,
    protect: values.protect ?? [],
    protectHidden: values['no-protect-hidden'] !== true,
    exclude: values.exclude ?? [],
    allowEmptyReferences: values['allow-empty-references'] === true,
    ...(values['max-missing-share'] === undefined ? {} : { maxMissingShare: share(values['max-missing-share'], '--max-missing-share') }),
    ...(values['max-orphan-share'] === undefined ? {} : { maxOrphanShare: share(values['max-orphan-share'], '--max-orphan-share') }),
    ...(values['references-as-of'] === undefined ? {} : { referencesAsOf: values['references-as-of'] }),
    summaryDepth: positiveInteger(values.depth, '--depth', PLAN_USAGE) ?? 1,
    diff: { mode, memory: values.memory ?? DEFAULT_MEMORY }
  }
  const log = loggerFor(values['log-format'], io.stderr, 'plan', PLAN_USAGE)
  const started = performance.now()
  const phases = planPhases('')
  const progress = new Progress(phases.read, { stream: io.stderr, mode: progressMode({ isTTY: io.isTTY, quiet: values.quiet === true || log !== undefined }) }).start()
  let summary
  try {
    summary = await plan({ ...options, onProgress: phases.onProgress })
  } catch (error) {
    const refused = inCliTerms(error, 'flags')
    logFailure(log, refused, { phase: 'plan' }, 'plan failed')
    throw refused
  } finally {
    progress.stop()
  }
  log?.info({ ...planFields(summary), ms: performance.now() - started }, 'phase end')
  if (values.json === true) await out.write(JSON.stringify({ path: summary.path, header: summary.header, prefixes: summary.prefixes }, null, 2) + '\n')
  else if (values.quiet !== true) await out.write(formatPlanSummary(summary))
  return 0
}

/** A share between 0 and 1, as the guards take it. */
function share (text: string, option: string): number {
  const value = Number(text)
  if (text.trim() === '' || !(value >= 0 && value <= 1)) throw new UsageError(`${option} must be a share between 0 and 1 (1 turns the guard off), not ${JSON.stringify(text)}`, PLAN_USAGE)
  return value
}

function oneOf<const T extends readonly string[]> (text: string, option: string, allowed: T): T[number] {
  if (!allowed.includes(text)) throw new UsageError(`${option} must be ${allowed.join(', ')}, not ${JSON.stringify(text)}`, PLAN_USAGE)
  return text
}

/** Repeated `alias=canonical` flags as a record. */
function pairs (list: readonly string[], option: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const item of list) {
    const equals = item.indexOf('=')
    if (equals <= 0 || equals === item.length - 1) throw new UsageError(`${option} takes alias=canonical (e.g. s3a=s3), not ${JSON.stringify(item)}`, PLAN_USAGE)
    out[item.slice(0, equals)] = item.slice(equals + 1)
  }
  return out
}

const FLAG_OF: Record<string, string> = { prefixMismatch: '--prefix-mismatch', equalSchemes: '--equal-scheme', equalAuthorities: '--equal-authority', decodeReferences: '--decode-references' }
const flag = (option: string): string => FLAG_OF[option] ?? option

function parse (argv: string[]) {
  return parseOptions(argv, {
    store: { type: 'string' },
    candidates: { type: 'string' },
    references: { type: 'string', multiple: true },
    out: { type: 'string' },
    grace: { type: 'string' },
    'allow-zero-grace': { type: 'boolean' },
    'min-orphan-age': { type: 'string' },
    'orphan-age-dir': { type: 'string' },
    'references-as-of': { type: 'string' },
    'include-undated': { type: 'boolean' },
    protect: { type: 'string', multiple: true },
    'no-protect-hidden': { type: 'boolean' },
    exclude: { type: 'string', multiple: true },
    'allow-empty-references': { type: 'boolean' },
    'max-missing-share': { type: 'string' },
    'max-orphan-share': { type: 'string' },
    location: { type: 'string' },
    'prefix-mismatch': { type: 'string' },
    'equal-scheme': { type: 'string', multiple: true },
    'equal-authority': { type: 'string', multiple: true },
    'decode-references': { type: 'string' },
    depth: { type: 'string' },
    mode: { type: 'string' },
    memory: { type: 'string' },
    sorted: { type: 'boolean' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
    'log-format': { type: 'string' },
    help: { type: 'boolean', short: 'h' }
  }, PLAN_USAGE)
}

function minOrphanAgeOptions (age: string | undefined, directory: string | undefined): { minOrphanAge?: string, orphanAgeDirectory?: string } {
  if (age === undefined) {
    if (directory !== undefined) throw new UsageError('--orphan-age-dir goes with --min-orphan-age', PLAN_USAGE)
    return {}
  }
  try {
    parseDuration(age, 'minOrphanAge')
  } catch {
    throw new UsageError(`--min-orphan-age must be a duration such as 7d or 36h, not ${JSON.stringify(age)}`, PLAN_USAGE)
  }
  if (directory === undefined) throw new UsageError('--min-orphan-age needs --orphan-age-dir <dir>, where the first-seen times are kept between runs', PLAN_USAGE)
  return { minOrphanAge: age, orphanAgeDirectory: directory }
}
