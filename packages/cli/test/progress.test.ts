import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { test } from 'node:test'
import { Progress } from '../src/report/progress.ts'

test('progress shows the phase, keys and keys/s per source, orphans and memory', () => {
  let count = 0
  const progress = new Progress(() => ({ phase: 'references', sources: [{ name: 'refs.txt', count }], orphans: 7 }), { stream: new PassThrough(), enabled: true })
  assert.match(progress.line(1000), /^references · refs\.txt 0 · orphans 7 · rss \d/)
  count = 2_000_000
  assert.match(progress.line(2000), /refs\.txt 2,000,000 \(2\.0M\/s\)/)
})

test('progress draws on a terminal and stays silent elsewhere', async () => {
  for (const enabled of [true, false]) {
    const stream = new PassThrough()
    let written = ''
    stream.on('data', (chunk: Buffer) => { written += chunk.toString() })
    const progress = new Progress(() => ({ phase: 'candidates', sources: [] }), { stream, enabled, intervalMs: 5 }).start()
    await new Promise(resolve => setTimeout(resolve, 40))
    progress.stop()
    if (enabled) assert.match(written, /candidates/)
    else assert.equal(written, '')
  }
})
