/** One tool's outcome in a scale run. */
export interface ToolResult {
  tool: string
  status: 'ok' | 'failed'
  seconds: number | undefined
  /** Fastest and slowest run, when a tool ran more than once (`seconds` is then the median). */
  secondsRange?: [number, number]
  peakRssBytes: number | undefined
  orphans: number | undefined
  /** Missing references found, by the tools that look for them too. */
  missing?: number | undefined
  error?: string
}

export interface ScaleRun {
  keys: number
  /** The workload's shape (`same-order` when absent: runs from before there were shapes). */
  shape?: string
  /** Lines of both files (2 × keys when absent). */
  lines?: number
  memory: string
  machine: string
  date: string
  expectedOrphans: number
  /** Distinct references that no candidate has (absent: runs from before there were rows for them). */
  expectedMissing?: number
  results: ToolResult[]
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf']

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;')

/** Grouped bars, one group per N, one bar per tool: wall time above, peak RSS below. */
export function chart (runs: readonly ScaleRun[]): string {
  const tools = [...new Set(runs.flatMap(run => run.results.map(result => result.tool)))]
  const width = 160 + runs.length * (tools.length * 18 + 40)
  const panel = (title: string, value: (r: ToolResult) => number | undefined, unit: string, top: number): string => {
    const max = Math.max(1e-9, ...runs.flatMap(run => run.results.map(r => value(r) ?? 0)))
    const height = 200
    let svg = `<text x="10" y="${top - 10}" font-size="14" font-weight="bold">${escape(title)}</text>`
    svg += `<line x1="60" y1="${top + height}" x2="${width - 10}" y2="${top + height}" stroke="#333"/>`
    svg += `<text x="55" y="${top + 10}" font-size="10" text-anchor="end">${max.toFixed(1)} ${unit}</text>`
    runs.forEach((run, g) => {
      const x0 = 70 + g * (tools.length * 18 + 40)
      svg += `<text x="${x0 + tools.length * 9}" y="${top + height + 15}" font-size="11" text-anchor="middle">N = ${run.keys.toLocaleString('en-US')}</text>`
      tools.forEach((tool, t) => {
        const result = run.results.find(r => r.tool === tool)
        if (result === undefined) return
        const x = x0 + t * 18
        const v = value(result)
        if (result.status === 'failed' || v === undefined) {
          svg += `<text x="${x + 8}" y="${top + height - 4}" font-size="9" fill="#d62728" text-anchor="middle">✗</text>`
          return
        }
        const h = Math.max(1, v / max * height)
        svg += `<rect x="${x}" y="${top + height - h}" width="16" height="${h}" fill="${COLORS[t % COLORS.length] as string}"><title>${escape(tool)}: ${v.toFixed(2)} ${unit}</title></rect>`
      })
    })
    return svg
  }
  const legend = tools.map((tool, t) => `<rect x="${10 + (t % 3) * 230}" y="${540 + Math.floor(t / 3) * 16}" width="10" height="10" fill="${COLORS[t % COLORS.length] as string}"/><text x="${24 + (t % 3) * 230}" y="${549 + Math.floor(t / 3) * 16}" font-size="11">${escape(tool)}</text>`).join('')
  const machine = runs[0]?.machine ?? ''
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.max(width, 720)}" height="${600 + Math.ceil(tools.length / 3) * 16}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    panel('Wall time (s), lower is better; ✗ = failed', r => r.seconds, 's', 40) +
    panel('Peak RSS (MiB)', r => r.peakRssBytes === undefined ? undefined : r.peakRssBytes / 1048576, 'MiB', 300) +
    legend +
    `<text x="10" y="${590 + Math.ceil(tools.length / 3) * 16}" font-size="10" fill="#555">${escape(machine)}</text></svg>\n`
}
