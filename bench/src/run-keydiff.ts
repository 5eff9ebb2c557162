// One keydiff run of the scale benchmark, in its own process: prints {"orphans": n}.
import { diff, linesSource, type DiffMode } from '@keydiff/core'

const [mode, candidates, references, memory] = process.argv.slice(2) as [DiffMode, string, string, string]
const run = diff({ candidates: linesSource(candidates), references: linesSource(references), mode, memory })
let orphans = 0
for await (const part of run) if (part.kind === 'orphans') orphans += part.entries.length
process.stdout.write(JSON.stringify({ orphans, spilledBytes: run.stats.spilledBytes ?? 0 }) + '\n')
