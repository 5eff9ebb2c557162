import { formatBytes } from '@keydiff/core'
import type { Writable } from 'node:stream'
import { printable } from '../printable.ts'

/** What the progress line shows; read on every tick, so it can be live engine stats. */
export interface ProgressState {
  phase: string
  /** Keys read per source, by source name. */
  sources: ReadonlyArray<{ name: string, count: number }>
  orphans?: number
}

export interface ProgressOptions {
  stream: Writable
  /** Draw only on a terminal; elsewhere (a log file, a pipe) stay silent. */
  enabled: boolean
  /** @default 250 */
  intervalMs?: number
}

/**
 * A one-line progress display on a terminal: the phase, keys read and keys/s per source,
 * orphans so far, and memory in use. Redrawn in place; erased when stopped.
 */
export class Progress {
  private timer: NodeJS.Timeout | undefined
  private last = new Map<string, { count: number, at: number }>()
  private rates = new Map<string, number>()
  private drawn = false

  constructor (private readonly read: () => ProgressState, private readonly options: ProgressOptions) {}

  start (): this {
    if (!this.options.enabled) return this
    this.timer = setInterval(() => { this.draw() }, this.options.intervalMs ?? 250)
    this.timer.unref()
    return this
  }

  stop (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    if (this.drawn) this.options.stream.write('\r\x1b[2K')
    this.drawn = false
  }

  /** The line as it would be drawn now (also used by tests). */
  line (now = performance.now()): string {
    const state = this.read()
    const parts = [state.phase]
    for (const source of state.sources) {
      const previous = this.last.get(source.name)
      if (previous !== undefined && now > previous.at) {
        const rate = (source.count - previous.count) / ((now - previous.at) / 1000)
        this.rates.set(source.name, 0.7 * (this.rates.get(source.name) ?? rate) + 0.3 * rate)
      }
      this.last.set(source.name, { count: source.count, at: now })
      const rate = this.rates.get(source.name)
      parts.push(`${shorten(source.name)} ${source.count.toLocaleString('en-US')}${rate === undefined ? '' : ` (${perSecond(rate)})`}`)
    }
    if (state.orphans !== undefined) parts.push(`orphans ${state.orphans.toLocaleString('en-US')}`)
    parts.push(`rss ${formatBytes(process.memoryUsage.rss())}`)
    return parts.join(' · ')
  }

  private draw (): void {
    const columns = (this.options.stream as { columns?: number }).columns ?? 120
    this.options.stream.write(`\r\x1b[2K${printable(this.line()).slice(0, columns - 1)}`)
    this.drawn = true
  }
}

function perSecond (rate: number): string {
  if (rate >= 1e6) return `${(rate / 1e6).toFixed(1)}M/s`
  if (rate >= 1e3) return `${(rate / 1e3).toFixed(1)}k/s`
  return `${Math.round(rate)}/s`
}

function shorten (name: string): string {
  return name.length <= 40 ? name : `…${name.slice(-39)}`
}
