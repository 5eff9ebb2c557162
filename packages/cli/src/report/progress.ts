import type cliProgress from 'cli-progress'
import { createRequire } from 'node:module'
import type { Writable } from 'node:stream'
import { formatCount } from '@keydiff/core'
import { printable } from '../printable.ts'

/** One phase's figures; read on every tick, so they can be live engine stats. */
export interface ProgressState {
  /** listing, references, diff, plan, re-check, apply (with a run's name before it, in a run). */
  phase: string
  /** Keys seen so far in this phase. */
  count: number
  /** Keys the phase is expected to see, when its sources can estimate it: gives a bar and an ETA. */
  estimate?: number | undefined
  /** Orphans found so far, when the phase finds them. */
  orphans?: number | undefined
  /** Keys dropped by the re-check before acting, during an apply. */
  dropped?: number | undefined
  /** What `count` counts; its first word is the rate's (`keys looked up`: keys/s). @default 'keys' */
  unit?: string | undefined
  /** Set when the phase's end is known: `false` keeps it going beside a later phase. @default finished once a later phase is listed */
  done?: boolean | undefined
}

/**
 * How progress is shown: `bars` redrawn in place on a terminal, `lines` (one plain line
 * per finished phase, no carriage returns) for a log file or a pipe, `off` for `--quiet`
 * and structured logs.
 */
export type ProgressMode = 'bars' | 'lines' | 'off'

export interface ProgressOptions {
  stream: Writable
  mode: ProgressMode
  /** How often the state is read. @default 250 */
  intervalMs?: number
  /** The clock, in milliseconds, for rates and ETAs. @default performance.now */
  now?: () => number
}

/** The mode for a command's standard error: off when quiet or logging JSON, bars only on a terminal. */
export function progressMode (options: { isTTY: boolean, quiet: boolean }): ProgressMode {
  if (options.quiet) return 'off'
  return options.isTTY ? 'bars' : 'lines'
}

interface Phase {
  startedAt: number
  state: ProgressState
  bar: cliProgress.SingleBar | undefined
}

/**
 * Progress per phase, drawn by cli-progress on a terminal (one bar a phase, finished phases
 * stay on screen) with keys, keys/s and, where a source estimates its count, an ETA.
 * Everything printed goes through `printable`: a phase may carry a run's name.
 */
export class Progress {
  private timer: NodeJS.Timeout | undefined
  private bars: cliProgress.MultiBar | undefined
  /** Phases under way, by their position in what `read` returns. */
  private readonly active = new Map<number, Phase>()
  /** Positions of the phases finished (their last figures shown). */
  private readonly ended = new Set<number>()
  /** When the last phase ended (or progress started): a phase first seen late began then. */
  private lastEnd: number | undefined
  private readonly now: () => number

  /**
   * `read` returns every phase started so far, in order. A phase is finished once a later
   * one is listed, unless it says `done: false` (it runs beside the next, as the re-check
   * beside the apply), or once it says `done: true`. A list rather than the phase under
   * way, so a phase that began and ended between two ticks is still shown.
   */
  constructor (private readonly read: () => ReadonlyArray<ProgressState>, private readonly options: ProgressOptions) {
    this.now = options.now ?? (() => performance.now())
  }

  start (): this {
    if (this.options.mode === 'off') return this
    this.lastEnd = this.now()
    if (this.options.mode === 'bars') {
      // Loaded for bars alone: lines and no progress (a script, a pipe) start 6 ms sooner.
      const { MultiBar } = createRequire(import.meta.url)('cli-progress') as typeof cliProgress
      this.bars = new MultiBar({
        stream: this.options.stream as NodeJS.WritableStream,
        format: (_options, _params, payload: { line?: string }) => payload.line ?? '',
        hideCursor: true,
        clearOnComplete: false,
        linewrap: false,
        fps: 4
      })
    }
    this.tick()
    this.timer = setInterval(() => { this.tick() }, this.options.intervalMs ?? 250)
    this.timer.unref()
    return this
  }

  /** Reads the phases now (also on a timer). */
  tick (): void {
    if (this.options.mode === 'off') return
    const phases = this.read()
    const now = this.now()
    phases.forEach((state, i) => {
      if (this.ended.has(i)) return
      let phase = this.active.get(i)
      if (phase === undefined) {
        phase = { startedAt: this.lastEnd ?? now, state, bar: undefined }
        this.active.set(i, phase)
      }
      phase.state = state
      const over = state.done ?? i < phases.length - 1
      if (over) {
        this.finish(i, now)
        return
      }
      if (this.bars === undefined) return
      const line = this.line(phase, now, false)
      if (phase.bar === undefined) phase.bar = this.bars.create(state.estimate ?? 0, state.count, { line })
      else phase.bar.update(state.count, { line })
    })
  }

  /** Ends the phases under way (their last figures stay on screen or go out as lines) and stops drawing. */
  stop (): void {
    if (this.timer === undefined) return
    clearInterval(this.timer)
    this.timer = undefined
    this.tick()
    const now = this.now()
    for (const i of [...this.active.keys()].sort((a, b) => a - b)) this.finish(i, now)
    this.bars?.stop()
    this.bars = undefined
  }

  private finish (index: number, now: number): void {
    const phase = this.active.get(index)
    if (phase === undefined) return
    this.active.delete(index)
    this.ended.add(index)
    this.lastEnd = now
    const line = this.line(phase, now, true)
    if (this.bars !== undefined) {
      const bar = phase.bar ?? this.bars.create(phase.state.estimate ?? 0, phase.state.count, { line })
      bar.update(phase.state.count, { line })
      bar.stop()
    } else if (this.options.mode === 'lines') {
      this.options.stream.write(`${line}\n`)
    }
  }

  /** A phase's figures: `references  ███░░ 1,200/4,000 keys · 600 keys/s · ETA 5s`. */
  private line (phase: Phase, now: number, done: boolean): string {
    const { count, estimate, orphans, dropped } = phase.state
    const unit = phase.state.unit ?? 'keys'
    const seconds = Math.max(now - phase.startedAt, 0) / 1000
    const rate = seconds > 0 ? count / seconds : undefined
    const parts = [phase.state.phase]
    const keys = estimate !== undefined && estimate > 0 && !done
      ? `${bar(count / estimate)} ${formatCount(count)}/${formatCount(estimate)} ${unit}`
      : `${formatCount(count)} ${unit}`
    parts.push(keys)
    if (rate !== undefined) parts.push(`${perSecond(rate)} ${unit.split(' ')[0] ?? unit}/s`)
    if (orphans !== undefined) parts.push(`orphans ${formatCount(orphans)}`)
    if (dropped !== undefined && dropped > 0) parts.push(`dropped by re-check ${formatCount(dropped)}`)
    if (done) parts.push(`done in ${duration(seconds)}`)
    else if (estimate !== undefined && estimate > count && rate !== undefined && rate > 0) parts.push(`ETA ${duration((estimate - count) / rate)}`)
    const text = printable(parts.join(' · '))
    const columns = (this.options.stream as { columns?: number }).columns
    return this.options.mode === 'bars' && columns !== undefined && columns > 0 ? text.slice(0, Math.max(columns - 1, 20)) : text
  }
}

const BAR_WIDTH = 20

function bar (share: number): string {
  const full = Math.round(Math.min(Math.max(share, 0), 1) * BAR_WIDTH)
  return `${'█'.repeat(full)}${'░'.repeat(BAR_WIDTH - full)}`
}

function perSecond (rate: number): string {
  if (rate >= 1e6) return `${(rate / 1e6).toFixed(1)}M`
  if (rate >= 1e3) return `${(rate / 1e3).toFixed(1)}k`
  return `${Math.round(rate)}`
}

function duration (seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)}s`
  if (seconds < 90) return `${Math.round(seconds)}s`
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`
  return `${(seconds / 3600).toFixed(1)}h`
}
