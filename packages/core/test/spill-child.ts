// Child process of the spill tests: `hang <tmpdir>` spills and then waits forever on its
// candidates (the parent interrupts it); `rss <candidates> <references> <memory>` diffs two
// files and prints the orphan count and its peak RSS (VmHWM) as JSON.
import { readFileSync } from 'node:fs'
import { diff, linesSource, spillReferenceSet } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'

const [command, ...args] = process.argv.slice(2)

if (command === 'hang') {
  const references = Array.from({ length: 2000 }, (_, i) => ({ key: `ref/${i}` }))
  const run = diff({
    references: keySource([references], { name: 'references' }),
    candidates: keySource(async function * () {
      yield [{ key: 'ref/1' }, { key: 'orphan' }]
      process.stdout.write('spilling\n')
      await new Promise(() => setInterval(() => {}, 1000))
    }, { name: 'candidates' }),
    referenceSet: spillReferenceSet({ tmpdir: args[0] as string, maxInMemory: 100 })
  })
  for await (const part of run) void part
} else if (command === 'rss') {
  const [candidates, references, memory] = args as [string, string, string]
  const run = diff({ candidates: linesSource(candidates), references: linesSource(references), memory, missing: true })
  let orphans = 0
  let missing = 0
  for await (const part of run) {
    if (part.kind === 'orphans') orphans += part.entries.length
    else missing += part.entries.length
  }
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
  process.stdout.write(JSON.stringify({ orphans, missing, spilledBytes: run.stats.spilledBytes, peakRss: Number(hwm) * 1024, seconds: (run.stats.durationMs ?? 0) / 1000 }) + '\n')
}
