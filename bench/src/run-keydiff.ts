// One keydiff run of the scale benchmark, in its own process: prints {"orphans": n}.
// Modes: exact, bloom, index-build (<dir>), index-diff (<dir>).
import { diff, diffIndex, linesSource, ReferenceIndex, type DiffMode, type DiffRun } from '@keydiff/core'

const [mode, candidates, references, memory, dir] = process.argv.slice(2) as [string, string, string, string, string]
if (mode === 'index-build') {
  const source = linesSource(references)
  const index = await ReferenceIndex.open(dir, { create: true, expectedCount: source.estimatedCount })
  const { references: count } = await index.add(source, { memory })
  await index.close()
  process.stdout.write(JSON.stringify({ orphans: undefined, references: count }) + '\n')
} else {
  const index = mode === 'index-diff' ? await ReferenceIndex.open(dir) : undefined
  const run: DiffRun = index === undefined
    ? diff({ candidates: linesSource(candidates), references: linesSource(references), mode: mode as DiffMode, memory })
    : diffIndex({ candidates: linesSource(candidates), index, memory })
  let orphans = 0
  for await (const part of run) if (part.kind === 'orphans') orphans += part.entries.length
  await index?.close()
  process.stdout.write(JSON.stringify({ orphans, spilledBytes: run.stats.spilledBytes ?? 0 }) + '\n')
}
