// The scale benchmark: `npm run bench:scale -- --keys N [--memory SIZE] [--shape same-order,random] [--tools a,b] [--runs R]`.
// Generates the DESIGN.md workloads (each --shape in turn), runs keydiff and its peers on the
// same files, each as its own process, and prints wall time, keys/s, peak RSS and each tool's
// ratio to keydiff exact.
// With --runs, every tool runs once a round, R rounds, and the table shows its median time
// and its range: on a shared machine one run of a tool can be a third off its median.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, release, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { buildSync } from 'esbuild'
import { chart, type ScaleRun, type ToolResult } from './chart.ts'
import { writeRandomWorkload, writeWorkload } from './workload.ts'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '2000000' },
    memory: { type: 'string', default: '128MiB' },
    tools: { type: 'string' },
    work: { type: 'string' },
    results: { type: 'string', default: join(here, '..', 'results') },
    timeout: { type: 'string', default: '1800' },
    runs: { type: 'string', default: '1' },
    shape: { type: 'string', default: 'same-order,random' }
  }
})
const keys = Math.round(Number(values.keys) / 20) * 20
if (!(keys >= 20)) throw new Error(`--keys must be a number of at least 20, not ${values.keys}`)
const memory = values.memory
const rounds = Number(values.runs)
if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--runs must be a whole number of at least 1, not ${values.runs}`)
// same-order: both files in one key order, 10% orphans, 5% missing (writeWorkload); random:
// each file in its own random order, 15% orphans, 5% missing (writeRandomWorkload).
const SHAPES = ['same-order', 'random'] as const
type Shape = typeof SHAPES[number]
const shapes = (values.shape as string).split(',').map(shape => shape.trim())
for (const shape of shapes) if (!(SHAPES as readonly string[]).includes(shape)) throw new Error(`--shape must name ${SHAPES.join(' or ')} (comma-separated), not ${shape}`)
// The false-positive rate bloom mode runs at (the CLI's default): its row must find this share.
const BLOOM_RATE = 0.01
// Every tool runs built JavaScript, as users run it: the peers are compiled here once, since
// compiling their TypeScript at start-up (tsx: about 0.25 s) would be charged to their rows.
const peers = join(here, '..', 'dist')
buildSync({ entryPoints: [join(here, 'peer-duckdb.ts'), join(here, 'peer-set.ts')], outdir: peers, outExtension: { '.js': '.mjs' }, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' })
const peer = (name: string): string[] => [process.execPath, join(peers, `${name}.mjs`)]
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
// keydiff rows run the built `keydiff` command, as a user would, writing the orphans to a pipe.
const keydiffBin = fileURLToPath(new URL('../../packages/cli/bin/keydiff.js', import.meta.url))
const cli = (args: string): string[] => ['bash', '-c', `set -o pipefail; '${process.execPath}' '${keydiffBin}' ${args} --quiet | wc -l | sed 's/.*/{"orphans":&}/'`]

// `build` tools make what a later tool uses and find no orphans; `files` is how many of the two
// key files a tool reads (the index tools read one each), for its keys/s; `missing` tools also
// count the references no candidate has, which must then be the workload's.
interface Tool { name: string, command: string[], exact: boolean, build?: boolean, files?: 1 | 2, fresh?: string, missing?: true }

const taskset = spawnSync('taskset', ['--version']).status === 0
const oneCore = (command: string[]): string[] => ['taskset', '-c', '0', ...command]

function toolsFor (work: string, candidates: string, references: string): Tool[] {
  const tools: Tool[] = [
  { name: 'keydiff exact', command: cli(`diff --candidates '${candidates}' --references '${references}' --memory ${memory} --mode exact`), exact: true },
  // More memory must never be slower (issue 23, part 2).
  { name: 'keydiff exact 2GiB', command: cli(`diff --candidates '${candidates}' --references '${references}' --memory 2GiB --mode exact`), exact: true },
  { name: 'keydiff bloom', command: cli(`diff --candidates '${candidates}' --references '${references}' --memory ${memory} --mode bloom`), exact: false },
  // Both directions: the orphans and the missing references (`diff --missing`).
  { name: 'keydiff exact, missing too', command: ['bash', '-c', `set -o pipefail; o=$('${process.execPath}' '${keydiffBin}' diff --candidates '${candidates}' --references '${references}' --memory ${memory} --missing '${work}/missing.txt' --quiet | wc -l) && echo "{\\"orphans\\":$o,\\"missing\\":$(wc -l < '${work}/missing.txt')}"`], exact: true, missing: true },
  { name: 'keydiff index build', command: [process.execPath, keydiffBin, 'index', 'build', '--index', join(work, 'index'), '--references', references, '--memory', memory], exact: false, build: true, files: 1, fresh: join(work, 'index') },
  { name: 'keydiff index diff', command: cli(`diff --candidates '${candidates}' --index '${join(work, 'index')}' --memory ${memory}`), exact: true, files: 1 },
  { name: `duckdb ${memory}`, command: [...peer('peer-duckdb'), candidates, references, memory, join(work, 'duck-small')], exact: true },
  { name: 'duckdb 512MB', command: [...peer('peer-duckdb'), candidates, references, '512MB', join(work, 'duck-512')], exact: true },
  // A user with a big machine gives DuckDB the memory it wants.
  { name: 'duckdb 4GB', command: [...peer('peer-duckdb'), candidates, references, '4GB', join(work, 'duck-4g')], exact: true },
  { name: 'duckdb 4GB, missing too', command: [...peer('peer-duckdb'), candidates, references, '4GB', join(work, 'duck-4g-m'), 'missing'], exact: true, missing: true },
  // Sorted files rather than process substitutions, so that every process is a waited-for
  // child of the shell and its peak RSS reaches /usr/bin/time.
  { name: 'sort --parallel | comm -23', command: ['bash', '-c', `export LC_ALL=C; sort -u --parallel=${cpus().length} -T '${work}' -o '${work}/c.sorted' '${candidates}' && sort -u --parallel=${cpus().length} -T '${work}' -o '${work}/r.sorted' '${references}' && comm -23 '${work}/c.sorted' '${work}/r.sorted' | wc -l | sed 's/.*/{"orphans":&}/'`], exact: true },
  { name: 'JS Set', command: [...peer('peer-set'), candidates, references], exact: true }
  ]
  // At 150M DuckDB is given more still (issue 23: 8GB ran as long as 4GB there).
  if (keys >= 100_000_000) tools.splice(tools.findIndex(tool => tool.name === 'duckdb 4GB') + 1, 0, { name: 'duckdb 8GB', command: [...peer('peer-duckdb'), candidates, references, '8GB', join(work, 'duck-8g')], exact: true })
  // What a second core is worth to each (`taskset` pins the whole process tree to one core).
  if (taskset) {
    tools.push(
      { name: 'keydiff exact, 1 core', command: oneCore(tools[0]?.command as string[]), exact: true },
      { name: 'keydiff bloom, 1 core', command: oneCore(tools.find(tool => tool.name === 'keydiff bloom')?.command as string[]), exact: false },
      { name: 'duckdb 4GB, 1 core', command: oneCore([...peer('peer-duckdb'), candidates, references, '4GB', join(work, 'duck-4g-1')]), exact: true }
    )
  }
  return tools
}
const wanted = values.tools?.split(',').map(name => name.trim())
const select = (tools: Tool[]): Tool[] => wanted === undefined ? tools : tools.filter(tool => wanted.some(name => tool.name.startsWith(name)))

function measure (tool: Tool, work: string): ToolResult {
  // Every tool starts with no dirty pages to write back: neither the workload just written nor
  // the previous tool's spill files slow its own writes.
  if (tool.fresh !== undefined) rmSync(tool.fresh, { recursive: true, force: true })
  spawnSync('sync')
  const stats = join(work, 'time.txt')
  rmSync(stats, { force: true })
  const command = timeBin === undefined ? tool.command : [timeBin, '-f', '%e %M', '-o', stats, ...tool.command]
  const started = performance.now()
  const child = spawnSync(command[0] as string, command.slice(1), { encoding: 'utf8', timeout: Number(values.timeout) * 1000, maxBuffer: 64 * 1024 * 1024 })
  const seconds = (performance.now() - started) / 1000
  const peakRssBytes = timeBin === undefined || !existsSync(stats) ? undefined : Number(/(\d+)\s*$/.exec(readFileSync(stats, 'utf8').trim())?.[1]) * 1024
  if (child.status !== 0) {
    const lines = (child.stderr ?? '').trim().split('\n').filter(line => line.trim() !== '' && !line.startsWith('Command exited') && !line.startsWith('Node.js v'))
    // An out-of-memory line first: DuckDB follows it with hints that also name the memory limit.
    const why = lines.find(line => /out of memory/i.test(line)) ?? lines.findLast(line => /error|memory|killed/i.test(line)) ?? lines.at(-1) ?? `exit ${String(child.status ?? child.signal)}`
    return { tool: tool.name, status: 'failed', seconds, peakRssBytes, orphans: undefined, error: why.slice(0, 200) }
  }
  const counts = tool.build === true ? undefined : JSON.parse(child.stdout.trim().split('\n').pop() as string) as { orphans: number, missing?: number }
  return { tool: tool.name, status: 'ok', seconds, peakRssBytes, orphans: counts === undefined ? undefined : Number(counts.orphans), ...(tool.missing === true ? { missing: Number(counts?.missing) } : {}) }
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`
for (const shape of shapes as Shape[]) runShape(shape)

/** Writes the shape's workload, runs the selected tools on it, prints and saves the table. */
function runShape (shape: Shape): void {
  const work = mkdtempSync(join(values.work ?? tmpdir(), 'keydiff-scale-'))
  const candidates = join(work, 'candidates.txt')
  const references = join(work, 'references.txt')
  const selected = select(toolsFor(work, candidates, references))
  try {
    const started = performance.now()
    const workload = shape === 'random' ? writeRandomWorkload(candidates, references, keys) : (writeWorkload(candidates, references, keys), { candidates: keys, references: keys, orphans: keys / 10, missing: keys / 20 })
    const generated = (performance.now() - started) / 1000
    const lines = workload.candidates + workload.references
    process.stdout.write(`${shape} workload: ${workload.candidates.toLocaleString('en-US')} candidates + ${workload.references.toLocaleString('en-US')} references in ${generated.toFixed(2)} s (${(lines / generated / 1e6).toFixed(1)}M keys/s), ${work}\n`)
    const measured: ToolResult[][] = selected.map(() => [])
    for (let round = 1; round <= rounds; round++) {
      selected.forEach((tool, i) => {
        const result = measure(tool, work)
        measured[i]?.push(result)
        process.stdout.write(`  ${rounds > 1 ? `round ${round}: ` : ''}${tool.name}: ${result.status}${result.error === undefined ? '' : ` (${result.error})`} in ${result.seconds?.toFixed(2)} s\n`)
      })
    }
    const results = measured.map(summarise)
    const run: ScaleRun = { keys, shape, lines, memory, machine, date: new Date().toISOString(), expectedOrphans: workload.orphans, expectedMissing: workload.missing, results }
    process.stdout.write(table(run, selected))
    mkdirSync(values.results, { recursive: true })
    writeFileSync(join(values.results, shape === 'same-order' ? `scale-${keys}.json` : `scale-${shape}-${keys}.json`), JSON.stringify(run, null, 2) + '\n')
    // The chart compares N for the same-order shape, whose results go back furthest.
    const runs = readdirSync(values.results).filter(name => /^scale-\d+\.json$/.test(name))
      .map(name => JSON.parse(readFileSync(join(values.results, name), 'utf8')) as ScaleRun)
      .sort((a, b) => a.keys - b.keys)
    writeFileSync(join(values.results, 'scale.svg'), chart(runs))
    if (results.some((result, i) => result.status === 'ok' && !agrees(result, selected[i] as Tool, run))) process.exitCode = 1
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/**
 * An exact tool finds every orphan; bloom mode finds at least 1 - rate of them and no more
 * than there are; a tool that looks for the missing references finds each of them.
 */
function agrees (result: ToolResult, tool: Tool, run: ScaleRun): boolean {
  if (tool.build === true) return true
  const expected = run.expectedOrphans
  const found = result.orphans as number
  if (tool.missing === true && result.missing !== run.expectedMissing) return false
  return tool.exact ? found === expected : found <= expected && found >= (1 - BLOOM_RATE) * expected
}

/** A tool's runs as one result: the median time and its range, the highest peak, the first failure. */
function summarise (runs: ToolResult[]): ToolResult {
  const failed = runs.find(run => run.status === 'failed')
  if (failed !== undefined || runs.length === 1) return failed ?? runs[0] as ToolResult
  const seconds = runs.map(run => run.seconds as number).sort((a, b) => a - b)
  const peaks = runs.map(run => run.peakRssBytes).filter(peak => peak !== undefined)
  const orphans = new Set(runs.map(run => run.orphans))
  return {
    ...runs[0] as ToolResult,
    seconds: seconds[Math.floor(seconds.length / 2)],
    secondsRange: [seconds[0] as number, seconds.at(-1) as number],
    peakRssBytes: peaks.length === 0 ? undefined : Math.max(...peaks),
    // Runs that disagree make the row disagree with the expected count.
    orphans: orphans.size === 1 ? runs[0]?.orphans : Number.NaN,
    ...(runs[0]?.missing === undefined ? {} : { missing: new Set(runs.map(run => run.missing)).size === 1 ? runs[0].missing : Number.NaN })
  }
}

function table (run: ScaleRun, used: Tool[]): string {
  const base = run.results.find(result => result.tool === 'keydiff exact')
  const rows = run.results.map((result, i) => {
    const ok = result.status === 'ok'
    const exact = (used[i] as Tool).exact
    const build = (used[i] as Tool).build === true
    const agreement = !ok || build ? '—' : `${agrees(result, used[i] as Tool, run) ? 'yes' : 'NO'}${exact ? '' : ` (${(100 * (result.orphans as number) / run.expectedOrphans).toFixed(2)}% found)`}`
    return [
      result.tool.replace('|', '\\|'),
      ok ? (result.seconds as number).toFixed(2) + (result.secondsRange === undefined ? '' : ` (${result.secondsRange.map(s => s.toFixed(2)).join('–')})`) : `failed: ${result.error ?? ''}`.slice(0, 60),
      ok ? `${(((used[i] as Tool).files ?? 2) / 2 * (run.lines ?? 2 * run.keys) / (result.seconds as number) / 1e6).toFixed(2)}M` : '—',
      result.peakRssBytes === undefined ? '?' : (result.peakRssBytes / 1048576).toFixed(0),
      ok && base?.status === 'ok' ? `${((result.seconds as number) / (base.seconds as number)).toFixed(2)}×` : '—',
      ok && !build ? String(result.orphans) + (result.missing === undefined ? '' : ` (missing ${result.missing})`) : '—',
      agreement
    ]
  })
  const head = ['tool', rounds > 1 ? `wall s, median of ${rounds} (range)` : 'wall s', 'keys/s', 'peak RSS MiB', 'time vs keydiff exact', 'orphans', `agrees (${run.expectedOrphans}${run.expectedMissing === undefined ? '' : `, missing ${run.expectedMissing}`})`]
  const lines = [head, head.map(() => '---'), ...rows].map(cells => `| ${cells.join(' | ')} |`)
  return `\n${run.shape ?? 'same-order'} shape, N = ${run.keys.toLocaleString('en-US')} references (${(run.lines ?? 2 * run.keys).toLocaleString('en-US')} lines in all), --memory ${run.memory}; ${run.machine}\n${lines.join('\n')}\n`
}
