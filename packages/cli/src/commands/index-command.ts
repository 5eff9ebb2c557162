import { DEFAULT_MEMORY, formatBytes, linesSource, ReferenceIndex, formatCount } from '@keydiff/core'
import { LineWriter, type CommandIO } from '../io.ts'
import { parseOptions } from '../parse-options.ts'
import { UsageError } from '../usage-error.ts'

export const INDEX_USAGE = `Usage: keydiff index <build|add|remove|why|drop> --index <dir> [options]

Keeps the references in a LevelDB index on disk, to diff against as often as needed
(keydiff diff --candidates <src> --index <dir>).

  build  --index <dir> --references <src> [--references <src> ...]   make a new index
  add    --index <dir> --references <src> [--source <name>]           add a source's references
  remove --index <dir> --references <src> [--source <name>]           drop a source's claim on keys
  why    --index <dir> <key>                                           which sources reference a key
  drop   --index <dir>                                                 delete the index

Options:
  --index <dir>         the index directory                                    (required)
  --references <src>    newline-delimited file (gzip allowed), or - for standard input
  --source <name>       the name references are recorded under     (default: the file path)
  --expected <count>    references expected over the index's life, to size its filter and
                        its ranges                               (default: from the first file)
  --memory <size>       the budget: a share holds references to sort and write; more go to
                        partition files first, each range written once; the filter a build
                        makes takes at most half of it                  (default: ${DEFAULT_MEMORY})
  --tmpdir <dir>        where those partition files go                   (default: the system's)
  -h, --help            show this help
`

/** `keydiff index <subcommand>`: build, add, remove, why, drop. */
export async function indexCommand (argv: string[], io: CommandIO): Promise<number> {
  const [sub, ...rest] = argv
  const { values, positionals } = parse(rest)
  if (sub === undefined || sub === '--help' || sub === '-h' || values.help === true) {
    await new LineWriter(io.stdout, false).write(INDEX_USAGE)
    return sub === undefined ? 2 : 0
  }
  const dir = values.index
  if (dir === undefined) throw new UsageError('--index is required', INDEX_USAGE)
  const out = new LineWriter(io.stdout, false)
  if (sub === 'drop') {
    await ReferenceIndex.drop(dir)
    await out.write(`dropped ${dir}\n`)
    return 0
  }
  if (sub === 'why') {
    const key = positionals[0]
    if (key === undefined) throw new UsageError('why needs a key', INDEX_USAGE)
    const index = await ReferenceIndex.open(dir)
    try {
      const sources = await index.why(key)
      await out.write(sources.length === 0 ? `${key}: not referenced\n` : `${key}: referenced by ${sources.join(', ')}\n`)
      return sources.length === 0 ? 1 : 0
    } finally {
      await index.close()
    }
  }
  if (sub !== 'build' && sub !== 'add' && sub !== 'remove') throw new UsageError(`unknown index command ${JSON.stringify(sub)}`, INDEX_USAGE)
  const files = values.references ?? []
  if (files.length === 0) throw new UsageError('--references is required', INDEX_USAGE)
  if (values.source !== undefined && files.length > 1) throw new UsageError('--source names one --references', INDEX_USAGE)
  const open = (src: string) => linesSource(src === '-' ? io.stdin as never : src, { name: src === '-' ? 'standard input' : src })
  const first = open(files[0] as string)
  const expected = values.expected === undefined ? first.estimatedCount : Number(values.expected)
  if (values.expected !== undefined && !(Number.isSafeInteger(expected) && (expected as number) > 0)) throw new UsageError(`--expected must be a positive whole number, not ${JSON.stringify(values.expected)}`, INDEX_USAGE)
  const index = await ReferenceIndex.open(dir, { create: sub === 'build', ...(expected === undefined ? {} : { expectedCount: expected * 1.5 }) })
  try {
    if (sub === 'build' && index.meta.count > 0) throw new UsageError(`${dir} already holds an index; use index add, or index drop first`, INDEX_USAGE)
    const started = performance.now()
    let count = 0
    for (const [i, src] of files.entries()) {
      const source = i === 0 ? first : open(src)
      const options = { memory: values.memory ?? DEFAULT_MEMORY, tmpdir: values.tmpdir, ...(values.source === undefined ? {} : { source: values.source }) }
      if (sub === 'remove') count += (await index.remove(source, options)).removed
      else count += (await index.add(source, options)).references
    }
    const seconds = (performance.now() - started) / 1000
    // The filter is sized once, within the build's budget: say what lookups will get from it.
    const filter = sub === 'remove' ? undefined : await index.filter()
    const filterNote = filter === undefined || index.meta.count === 0 ? '' : `; its filter: ${formatBytes(filter.byteLength)}, ${(filter.byteLength * 8 / index.meta.count).toFixed(1)} bits a reference, about ${(filter.estimatedFalsePositiveRate() * 100).toFixed(2)}% false positives`
    await new LineWriter(io.stderr, false).write(`keydiff index ${sub}: ${formatCount(count)} references ${sub === 'remove' ? 'removed' : 'read'} in ${seconds.toFixed(2)} s; the index holds ${formatCount(index.meta.count)} from ${index.meta.sources.length} source(s)${filterNote}\n`)
    return 0
  } finally {
    await index.close()
  }
}

function parse (argv: string[]) {
  return parseOptions(argv, {
    index: { type: 'string' },
    references: { type: 'string', multiple: true },
    source: { type: 'string' },
    expected: { type: 'string' },
    memory: { type: 'string' },
    tmpdir: { type: 'string' },
    help: { type: 'boolean', short: 'h' }
  }, INDEX_USAGE, true)
}
