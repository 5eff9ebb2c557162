import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import { Progress, progressMode, type ProgressState } from '../src/report/progress.ts'

/** A stream that keeps what is written; a terminal when `columns` is given, as process.stderr is. */
function sink (columns?: number): Writable & { text: () => string } {
  let written = ''
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { written += chunk.toString(); done() } })
  if (columns !== undefined) Object.assign(stream, { isTTY: true, columns, rows: 40 })
  return Object.assign(stream, { text: () => written })
}

/** Drives a progress through phases on a hand-moved clock. */
function driven (mode: 'bars' | 'lines' | 'off', stream: Writable) {
  let phases: ProgressState[] = []
  let now = 0
  const progress = new Progress(() => phases, { stream, mode, intervalMs: 60_000, now: () => now }).start()
  return {
    progress,
    /** Moves the clock and the phase under way (a new name starts a phase, ending the one before). */
    at (ms: number, state?: ProgressState) {
      now = ms
      if (state !== undefined) phases = phases.at(-1)?.phase === state.phase ? [...phases.slice(0, -1), state] : [...phases, state]
      progress.tick()
    }
  }
}

test('on a terminal: a bar per phase with keys, keys/s, an ETA from the estimate, and each finished phase kept', async () => {
  const stream = sink(120)
  const { progress, at } = driven('bars', stream)
  at(0, { phase: 'references', count: 0, estimate: 4000 })
  at(2000, { phase: 'references', count: 1200, estimate: 4000 })
  // cli-progress redraws on its own timer
  await new Promise(resolve => setTimeout(resolve, 400))
  const drawing = stream.text()
  assert.match(drawing, /references · █+░+ 1,200\/4,000 keys · 600 keys\/s · ETA 4\.7s/)
  at(4000, { phase: 'references', count: 4000, estimate: 4000 })
  at(4000, { phase: 'listing', count: 0 })
  at(6000, { phase: 'listing', count: 3_000_000, orphans: 12 })
  progress.stop()
  const text = stream.text()
  assert.match(text, /references · 4,000 keys · 1\.0k keys\/s · done in 4\.0s/)
  assert.match(text, /listing · 3,000,000 keys · 1\.5M keys\/s · orphans 12 · done in 2\.0s/)
  // drawn in place: cursor movement, not one line per tick
  assert.match(text, /\x1b\[/)
})

test('without a terminal: one plain line per finished phase, no redraws', () => {
  const stream = sink()
  const { progress, at } = driven('lines', stream)
  at(0)
  at(0, { phase: 'references', count: 0, estimate: 10 })
  at(500, { phase: 'references', count: 5, estimate: 10 })
  assert.equal(stream.text(), '', 'nothing until a phase ends')
  at(1000, { phase: 'references', count: 10, estimate: 10 })
  at(1000, { phase: 'apply', count: 0, estimate: 40 })
  at(3000, { phase: 'apply', count: 40, estimate: 40, dropped: 2 })
  progress.stop()
  assert.deepEqual(stream.text().split('\n'), [
    'references · 10 keys · 10 keys/s · done in 1.0s',
    'apply · 40 keys · 20 keys/s · dropped by re-check 2 · done in 2.0s',
    ''
  ])
  assert.doesNotMatch(stream.text(), /[\r\x1b]/)
})

test('a phase name with control characters is printed escaped', () => {
  const stream = sink()
  const { progress, at } = driven('lines', stream)
  at(0, { phase: 'run\x1b]0;pwned\x07: listing', count: 1 })
  progress.stop()
  assert.equal(stream.text(), 'run\\u001b]0;pwned\\u0007: listing · 1 keys · done in 0.0s\n')
})

test('quiet writes nothing; the mode follows the terminal and --quiet', async () => {
  const stream = sink(80)
  const { progress, at } = driven('off', stream)
  at(0, { phase: 'references', count: 3 })
  await new Promise(resolve => setTimeout(resolve, 300))
  progress.stop()
  assert.equal(stream.text(), '')
  assert.equal(progressMode({ isTTY: true, quiet: false }), 'bars')
  assert.equal(progressMode({ isTTY: false, quiet: false }), 'lines')
  assert.equal(progressMode({ isTTY: true, quiet: true }), 'off')
  assert.equal(progressMode({ isTTY: false, quiet: true }), 'off')
})

test('a phase that began and ended between two ticks is still reported', () => {
  const stream = sink()
  let now = 0
  let phases: ProgressState[] = []
  const progress = new Progress(() => phases, { stream, mode: 'lines', intervalMs: 60_000, now: () => now }).start()
  now = 1000
  phases = [{ phase: 'references', count: 300 }, { phase: 'listing', count: 900, estimate: 1000 }]
  now = 2000
  progress.stop()
  assert.deepEqual(stream.text().split('\n'), [
    'references · 300 keys · 150 keys/s · done in 2.0s',
    'listing · 900 keys · done in 0.0s',
    ''
  ])
})

test('on a terminal too, a phase finished between ticks keeps its line', () => {
  const stream = sink(120)
  let phases: ProgressState[] = []
  const progress = new Progress(() => phases, { stream, mode: 'bars', intervalMs: 60_000 }).start()
  phases = [{ phase: 'references', count: 300 }, { phase: 'diff', count: 900, orphans: 4 }]
  progress.stop()
  assert.match(stream.text(), /references · 300 keys · [^\n]*done in[^\n]*\n[^\n]*diff · 900 keys · [^\n]*orphans 4 · done in/)
})

test('a phase marked done: false runs beside the next one (re-check beside apply), each with its own unit', () => {
  const stream = sink()
  let now = 0
  let phases: ProgressState[] = []
  const progress = new Progress(() => phases, { stream, mode: 'lines', intervalMs: 60_000, now: () => now }).start()
  phases = [{ phase: 're-check', count: 100, unit: 'keys looked up', done: false }, { phase: 'apply (delete)', count: 0 }]
  progress.tick()
  now = 1000
  phases = [{ phase: 're-check', count: 500, unit: 'keys looked up', dropped: 3, done: false }, { phase: 'apply (delete)', count: 400 }]
  progress.tick()
  assert.equal(stream.text(), '', 'neither phase is over while the apply runs')
  now = 2000
  phases = [{ phase: 're-check', count: 1000, unit: 'keys looked up', dropped: 3, done: false }, { phase: 'apply (delete)', count: 997 }]
  progress.stop()
  assert.deepEqual(stream.text().split('\n'), [
    're-check · 1,000 keys looked up · 500 keys/s · dropped by re-check 3 · done in 2.0s',
    'apply (delete) · 997 keys · 499 keys/s · done in 2.0s',
    ''
  ])
})
