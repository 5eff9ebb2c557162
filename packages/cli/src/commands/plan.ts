import {
  DEFAULT_GRACE, DEFAULT_MEMORY, directorySource, formatPlanSummary, jsonLinesSource, linesSource, plan, type DiffMode, type KeySource
} from '@keydiff/core'
import { LineWriter, type CommandIO } from '../io.ts'
import { parseOptions } from '../parse-options.ts'
import { UsageError } from '../usage-error.ts'
import { positiveInteger } from './store-options.ts'

export const PLAN_USAGE = `Usage: keydiff plan (--store <dir> | --candidates <src>) --references <src> [...] --out <plan> [options]

Writes a plan: the orphans that may be acted on, as JSON Lines with a checksummed header,
and prints counts and bytes per prefix. Nothing is changed: this is the dry run.
Candidates modified after the reference scan's start minus the grace never enter it.

Options:
  --store <dir>            a local directory as the candidates (size, mtime)
  --candidates <src>       or a listing: .jsonl with key, size, lastModified fields,
                           else one key per line (no dates: see --include-undated)
  --references <src>       keys in use; repeat to union every source     (required)
  --out <plan>             the plan file to write                         (required)
  --grace <duration>       e.g. 24h, 90m, 7d                              (default: ${DEFAULT_GRACE})
  --allow-zero-grace       confirm --grace 0: objects written while the scan ran may be planned
  --include-undated        plan candidates that have no modification time (default: off)
  --protect <glob>         keys never planned; repeat                     (e.g. '**/*.lock')
  --depth <n>              path segments per summary prefix              (default: 1)
  --mode exact|bloom       as in keydiff diff                             (default: exact)
  --memory <size>          memory budget                                  (default: ${DEFAULT_MEMORY})
  --sorted                 the reference files are sorted in byte order   (default: off)
  --json                   print the summary as JSON instead of a table
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
  const input = (src: string): string => src === '-' ? io.stdin as never : src
  const candidates: KeySource = values.store !== undefined
    ? directorySource({ root: values.store })
    : (values.candidates as string).endsWith('.jsonl')
        ? jsonLinesSource(input(values.candidates as string), { field: 'key', sizeField: 'size', lastModifiedField: 'lastModified' })
        : linesSource(input(values.candidates as string))
  const summary = await plan({
    candidates,
    references: referenceArgs.map(src => linesSource(input(src), { name: `references ${src === '-' ? '(standard input)' : src}`, sorted: values.sorted === true })),
    out: values.out,
    grace: values.grace ?? DEFAULT_GRACE,
    acknowledgeZeroGrace: values['allow-zero-grace'] === true,
    includeUndated: values['include-undated'] === true,
    protect: values.protect ?? [],
    summaryDepth: positiveInteger(values.depth, '--depth', PLAN_USAGE) ?? 1,
    diff: { mode, memory: values.memory ?? DEFAULT_MEMORY }
  })
  if (values.json === true) await out.write(JSON.stringify({ path: summary.path, header: summary.header, prefixes: summary.prefixes }, null, 2) + '\n')
  else await out.write(formatPlanSummary(summary))
  return 0
}

function parse (argv: string[]) {
  return parseOptions(argv, {
    store: { type: 'string' },
    candidates: { type: 'string' },
    references: { type: 'string', multiple: true },
    out: { type: 'string' },
    grace: { type: 'string' },
    'allow-zero-grace': { type: 'boolean' },
    'include-undated': { type: 'boolean' },
    protect: { type: 'string', multiple: true },
    depth: { type: 'string' },
    mode: { type: 'string' },
    memory: { type: 'string' },
    sorted: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' }
  }, PLAN_USAGE)
}
