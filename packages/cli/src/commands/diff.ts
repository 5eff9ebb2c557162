import { writeFile } from 'node:fs/promises'
import { diff, diffIndex, DEFAULT_MEMORY, formatBytes, linesSource, ReferenceIndex, type DiffMode, type DiffStats, type IndexDiffStrategy, type KeyEntry, type KeySource, formatCount } from '@keydiff/core'
import { diskFullError, isNoSpace } from '../disk-full.ts'
import { LineWriter, type CommandIO } from '../io.ts'
import { Progress, progressMode } from '../report/progress.ts'
import { parseOptions } from '../parse-options.ts'
import { UsageError } from '../usage-error.ts'

export const DIFF_USAGE = `Usage: keydiff diff --candidates <src> --references <src> [--references <src> ...] [options]

Prints the orphans: candidate keys that no reference names. <src> is a newline-delimited
file (gzip allowed), or - for standard input (one side at most).

Options:
  --candidates <src>       keys that exist, e.g. an object listing          (required)
  --references <src>       keys in use; repeat to union several sources     (required)
  --index <dir>            diff against a kept index (keydiff index build) instead of --references
  --strategy scan|lookup   with --index: scan reads the whole index once; lookup reads only
                           the index ranges of the candidates its filter lets through
                           (default: lookup when the candidates are under a quarter of the index)
  --tmpdir <dir>           where exact mode may spill                        (default: the system's)
  --mode exact|bloom       exact: precisely the orphans; bloom: faster and smaller,
                           misses about 1% of them, never a referenced key  (default: exact)
  --memory <size>          memory budget, e.g. 128MiB, 2GiB                  (default: ${DEFAULT_MEMORY})
  --threads <n>            threads a spill is settled on; 1 starts none      (default: the machine's cores, at most 2 + 1 per 80 MiB of --memory)
  --sorted                 both inputs are sorted in byte order (LC_ALL=C sort): merge
                           them with no index; order is checked             (default: off)
  --output <file>          write orphans here                                (default: standard output)
  --missing <file>         also write references with no candidate here (exact mode)
  --stats <file>           write the run's statistics as JSON
  --format lines|jsonl     one key per line, or JSON objects                 (default: lines)
  --quiet                  no summary on standard error
  -h, --help               show this help
`

export async function diffCommand (argv: string[], io: CommandIO): Promise<number> {
  const { values } = parse(argv)
  if (values.help === true) {
    await new LineWriter(io.stdout, false).write(DIFF_USAGE)
    return 0
  }
  const candidatesArg = values.candidates
  const referenceArgs = values.references ?? []
  if (candidatesArg === undefined) throw new UsageError('--candidates is required', DIFF_USAGE)
  if (referenceArgs.length === 0 && values.index === undefined) throw new UsageError('--references is required', DIFF_USAGE)
  if (referenceArgs.length > 0 && values.index !== undefined) throw new UsageError('--index replaces --references', DIFF_USAGE)
  if (values.index !== undefined && (values.missing !== undefined || (values.mode ?? 'exact') === 'bloom')) throw new UsageError('--index gives the orphans in exact mode; --missing and --mode bloom need --references', DIFF_USAGE)
  const strategy = values.strategy as IndexDiffStrategy | undefined
  if (strategy !== undefined && values.index === undefined) throw new UsageError('--strategy needs --index', DIFF_USAGE)
  if (strategy !== undefined && strategy !== 'scan' && strategy !== 'lookup') throw new UsageError(`--strategy must be scan or lookup, not ${JSON.stringify(strategy)}`, DIFF_USAGE)
  if ([candidatesArg, ...referenceArgs].filter(src => src === '-').length > 1) throw new UsageError('standard input (-) can feed one side at most', DIFF_USAGE)
  const mode = (values.mode ?? 'exact') as DiffMode
  if (mode !== 'exact' && mode !== 'bloom') throw new UsageError(`--mode must be exact or bloom, not ${JSON.stringify(values.mode)}`, DIFF_USAGE)
  const format = values.format ?? 'lines'
  if (format !== 'lines' && format !== 'jsonl') throw new UsageError(`--format must be lines or jsonl, not ${JSON.stringify(values.format)}`, DIFF_USAGE)
  if (values.missing !== undefined && mode === 'bloom') throw new UsageError('--missing needs --mode exact', DIFF_USAGE)
  const threads = values.threads === undefined ? undefined : Number(values.threads)
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new UsageError(`--threads must be a whole number of at least 1, not ${values.threads}`, DIFF_USAGE)

  const sorted = values.sorted === true
  const open = (side: string, src: string): KeySource => linesSource(src === '-' ? io.stdin as never : src, { name: `${side} ${src === '-' ? '(standard input)' : src}`, sorted })
  const index = values.index === undefined ? undefined : await ReferenceIndex.open(values.index)
  const candidates = open('candidates', candidatesArg)
  const references = referenceArgs.map(src => open('references', src))
  const run = index !== undefined ? diffIndex({ candidates, index, memory: values.memory ?? DEFAULT_MEMORY, tmpdir: values.tmpdir, strategy, threads, transientParts: true }) : diff({
    candidates,
    references,
    mode,
    memory: values.memory ?? DEFAULT_MEMORY,
    missing: values.missing !== undefined,
    tmpdir: values.tmpdir,
    threads,
    // Each part is written before the next is asked for (LineWriter.writeText waits for it).
    transientParts: true
  })

  const orphansOut = values.output === undefined ? LineWriter.data(io.stdout, io.stdoutIsTTY === true) : LineWriter.toFile(values.output)
  const missingOut = values.missing === undefined ? undefined : LineWriter.toFile(values.missing)
  const render = format === 'lines' ? renderLine : renderJson
  const referencesEstimate = references.every(source => typeof source.estimatedCount === 'number') ? references.reduce((sum, source) => sum + (source.estimatedCount ?? 0), 0) : undefined
  // the candidates are diffed as they are listed: that phase is the diff
  const progress = new Progress(() => {
    const { phase, references: read, candidates: listed, orphans } = run.stats
    const reached = phase === 'pending' ? 0 : phase === 'references' || (phase === 'failed' && listed.count === 0) ? 1 : 2
    return [
      { phase: 'references', count: read.count, estimate: referencesEstimate },
      { phase: 'diff', count: listed.count, estimate: candidates.estimatedCount, orphans: orphans.count }
    ].slice(0, reached)
  }, { stream: io.stderr, mode: progressMode({ isTTY: io.isTTY, quiet: values.quiet === true }) }).start()
  try {
    for await (const part of run) {
      const out = part.kind === 'orphans' ? orphansOut : missingOut
      if (out === undefined) continue
      // Keys the diff holds as lines of a file go out as those bytes, never decoded here.
      if (format === 'lines' && part.lines !== undefined) await out.writeText(part.lines)
      else for (const text of render(part.entries)) await out.write(text)
    }
  } finally {
    progress.stop()
    await Promise.allSettled([orphansOut.close(), missingOut?.close(), index?.close()])
  }
  const statsPath = values.stats
  if (statsPath !== undefined) await writeFile(statsPath, JSON.stringify(run.stats, null, 2) + '\n').catch((error: unknown) => { throw isNoSpace(error) ? diskFullError(statsPath, error) : error })
  if (values.quiet !== true) await new LineWriter(io.stderr, false).write(summary(run.stats))
  return 0
}

function parse (argv: string[]) {
  return parseOptions(argv, {
    candidates: { type: 'string' },
    references: { type: 'string', multiple: true },
    index: { type: 'string' },
    strategy: { type: 'string' },
    tmpdir: { type: 'string' },
    mode: { type: 'string' },
    memory: { type: 'string' },
    threads: { type: 'string' },
    sorted: { type: 'boolean' },
    output: { type: 'string' },
    missing: { type: 'string' },
    stats: { type: 'string' },
    format: { type: 'string' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' }
  }, DIFF_USAGE)
}

// Lines are written in pieces of about this many characters. A larger string goes to V8's
// large-object space and its bytes to a fresh allocation on the way out, every page of both
// faulted in anew: 3.35M orphans a run made 80K page faults, a sixth of a bloom diff's CPU.
const PIECE_CHARS = 16 * 1024

function * pieces (entries: readonly KeyEntry[], line: (entry: KeyEntry) => string): Generator<string> {
  let text = ''
  for (const entry of entries) {
    text += line(entry)
    if (text.length >= PIECE_CHARS) {
      yield text
      text = ''
    }
  }
  if (text !== '') yield text
}

function renderLine (entries: readonly KeyEntry[]): Generator<string> {
  return pieces(entries, entry => entry.key + '\n')
}

function renderJson (entries: readonly KeyEntry[]): Generator<string> {
  return pieces(entries, entry => JSON.stringify({ key: entry.key, size: entry.size, lastModified: entry.lastModified?.toISOString() }) + '\n')
}

export function summary (stats: DiffStats): string {
  const n = formatCount
  const seconds = ((stats.durationMs ?? 0) / 1000).toFixed(2)
  const lines = [
    `keydiff: ${n(stats.candidates.count)} candidates, ${n(stats.references.count)} reference rows read → ${n(stats.orphans.count)} orphans` +
      (stats.orphans.bytes > 0 ? ` (${formatBytes(stats.orphans.bytes)})` : '') +
      (stats.missing === undefined ? '' : `, ${n(stats.missing.count)} missing`),
    `         mode ${stats.mode}, strategy ${stats.strategy ?? '?'}, ${seconds} s, memory budget ${formatBytes(stats.memoryBudget)}` +
      (stats.filter === undefined ? '' : `, filter ${formatBytes(stats.filter.bytes)}${(stats.filter.passes ?? 1) > 1 ? ` in ${stats.filter.passes} passes` : ''} (~${(stats.filter.estimatedFalsePositiveRate * 100).toFixed(2)}% false positives)`)
  ]
  return lines.join('\n') + '\n'
}
