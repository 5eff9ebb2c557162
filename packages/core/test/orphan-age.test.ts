import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { compareKeys } from '../src/keys/compare-keys.ts'
import { OrphanAgeLedger } from '../src/sweep/orphan-age.ts'
import { decodeLedgerKey, encodeLedgerKey } from '../src/sweep/orphan-age-key.ts'

const work = mkdtempSync(join(tmpdir(), 'keydiff-orphan-age-test-'))
after(() => rmSync(work, { recursive: true, force: true }))

let made = 0
const fresh = (): string => join(work, `ledger-${++made}`)
const DAY = 86_400_000
const T0 = Date.UTC(2026, 0, 1)

interface RunResult { oldEnough: string[], firstSeen: Map<string, number> }

/** One run: observes the batches at `now`, then commits (or aborts); returns its verdicts. */
async function run (directory: string, now: number, batches: string[][], end: 'commit' | 'abort' = 'commit', minAge: number | string = '7d'): Promise<RunResult> {
  const ledger = await OrphanAgeLedger.open({ directory, now, minAge })
  const result: RunResult = { oldEnough: [], firstSeen: new Map() }
  for (const batch of batches) {
    const ages = await ledger.observe(batch)
    batch.forEach((key, i) => {
      if (ages.oldEnough[i] === true) result.oldEnough.push(key)
      result.firstSeen.set(key, ages.firstSeen[i] as number)
    })
  }
  if (end === 'commit') await ledger.commit()
  else await ledger.abort()
  return result
}

/** The committed state, read through a run that is then aborted. */
async function state (directory: string, scope?: string): Promise<Map<string, number>> {
  const ledger = await OrphanAgeLedger.open({ directory, minAge: 0, ...(scope === undefined ? {} : { scope }) })
  const out = new Map<string, number>()
  try {
    for await (const entries of ledger.entries()) for (const entry of entries) out.set(entry.key, entry.firstSeen)
  } finally {
    await ledger.abort()
  }
  return out
}

test('the first run records its orphans and finds none old enough, whatever minAge', async () => {
  for (const minAge of ['7d', 0]) {
    const directory = fresh()
    const first = await run(directory, T0, [['a', 'b'], ['c']], 'commit', minAge)
    assert.deepEqual(first.oldEnough, [])
    assert.deepEqual([...first.firstSeen.values()], [T0, T0, T0])
    assert.deepEqual(await state(directory), new Map([['a', T0], ['b', T0], ['c', T0]]))
  }
})

test('a key is old enough only once minAge has passed since a run first found it', async () => {
  const directory = fresh()
  await run(directory, T0, [['a', 'b']])
  const early = await run(directory, T0 + 3 * DAY, [['a', 'b', 'c']])
  assert.deepEqual(early.oldEnough, [])
  assert.equal(early.firstSeen.get('a'), T0)
  assert.equal(early.firstSeen.get('c'), T0 + 3 * DAY)
  // exactly minAge is enough; c, first found three days later, is not yet
  const late = await run(directory, T0 + 7 * DAY, [['c'], ['b', 'a']])
  assert.deepEqual(late.oldEnough.sort(), ['a', 'b'])
  assert.equal(late.firstSeen.get('c'), T0 + 3 * DAY)
  // with minAge 0, a second run is enough
  assert.deepEqual((await run(directory, T0 + 7 * DAY + 1, [['c', 'new']], 'commit', 0)).oldEnough, ['c'])
})

test('a key that one run does not find orphaned starts its clock again', async () => {
  const directory = fresh()
  await run(directory, T0, [['a', 'b']])
  await run(directory, T0 + 2 * DAY, [['b']])
  const later = await run(directory, T0 + 10 * DAY, [['a', 'b']])
  assert.deepEqual(later.oldEnough, ['b'])
  assert.equal(later.firstSeen.get('a'), T0 + 10 * DAY)
  // a run that finds no orphan at all empties the ledger
  await run(directory, T0 + 11 * DAY, [])
  assert.deepEqual(await state(directory), new Map())
})

test('a key observed twice in one run has one age, taken from the committed state', async () => {
  const directory = fresh()
  await run(directory, T0, [['a']])
  const twice = await run(directory, T0 + 8 * DAY, [['a', 'b', 'a'], ['b', 'a']])
  assert.deepEqual(twice.oldEnough, ['a', 'a', 'a'])
  assert.deepEqual(await state(directory), new Map([['a', T0], ['b', T0 + 8 * DAY]]))
})

test('a run that fails or is refused (aborted) leaves the ledger exactly as it was', async () => {
  const directory = fresh()
  await run(directory, T0, [['a', 'b']])
  const before = readdirSync(directory).sort()
  // a failed run saw only some references: it takes live keys for orphans and misses a
  const failed = await run(directory, T0 + 2 * DAY, [['b', 'live/1', 'live/2']], 'abort')
  assert.deepEqual(failed.oldEnough, [])
  assert.deepEqual(readdirSync(directory).sort(), before)
  assert.deepEqual(await state(directory), new Map([['a', T0], ['b', T0]]))
  const next = await run(directory, T0 + 8 * DAY, [['a', 'b', 'live/1']])
  assert.deepEqual(next.oldEnough.sort(), ['a', 'b'])
  assert.equal(next.firstSeen.get('live/1'), T0 + 8 * DAY)

  const ledger = await OrphanAgeLedger.open({ directory, minAge: '7d', now: T0 + 9 * DAY })
  await ledger.abort()
  await ledger.abort()
  await assert.rejects(ledger.observe(['a']), /after commit or abort/)
  await assert.rejects(ledger.commit(), /after commit or abort/)
})

test('a second run on a ledger that one has open is refused, and the first is unharmed', async () => {
  for (const committedFirst of [false, true]) {
    const directory = fresh()
    if (committedFirst) await run(directory, T0, [['a']])
    const first = await OrphanAgeLedger.open({ directory, minAge: '7d', now: T0 + 8 * DAY })
    await assert.rejects(OrphanAgeLedger.open({ directory, minAge: '7d' }), { code: 'KEYDIFF_LOCK_HELD' })
    await first.observe(['a'])
    await first.commit()
    assert.deepEqual(await state(directory), new Map([['a', committedFirst ? T0 : T0 + 8 * DAY]]))
  }
})

test('a ledger committed for another scope is refused', async () => {
  const directory = fresh()
  const ledger = await OrphanAgeLedger.open({ directory, minAge: '7d', scope: 's3://a/p' })
  await ledger.observe(['x'])
  await ledger.commit()
  await assert.rejects(OrphanAgeLedger.open({ directory, minAge: '7d', scope: 's3://b/p' }), { code: 'KEYDIFF_INVALID_OPTION' })
  await assert.rejects(OrphanAgeLedger.open({ directory, minAge: '7d' }), { code: 'KEYDIFF_INVALID_OPTION' })
  assert.equal((await state(directory, 's3://a/p')).size, 1)
})

test('options are checked: minAge is a duration with a unit, now a time', async () => {
  const directory = fresh()
  await assert.rejects(OrphanAgeLedger.open({ directory, minAge: '7' }), { code: 'KEYDIFF_INVALID_OPTION' })
  await assert.rejects(OrphanAgeLedger.open({ directory, minAge: -1 }), { code: 'KEYDIFF_INVALID_OPTION' })
  await assert.rejects(OrphanAgeLedger.open({ directory, minAge: '1d', now: new Date('nope') }), { code: 'KEYDIFF_INVALID_OPTION' })
  await assert.rejects(OrphanAgeLedger.open({ directory: '', minAge: '1d' }), { code: 'KEYDIFF_INVALID_OPTION' })
  await assert.rejects(OrphanAgeLedger.open(null as never), TypeError)
  const ledger = await OrphanAgeLedger.open({ directory, minAge: '36h', now: new Date(T0) })
  assert.equal(ledger.minAgeMs, 36 * 3_600_000)
  assert.equal(ledger.now, T0)
  assert.equal(ledger.previous, undefined)
  await ledger.abort()
})

test('a damaged or foreign pointer is refused, never followed out of the directory', async () => {
  const directory = fresh()
  await run(directory, T0, [['a']])
  const pointer = JSON.parse(readFileSync(join(directory, 'ledger.json'), 'utf8')) as Record<string, unknown>
  const cases: Array<[string, string]> = [
    ['not json', '{"format":'],
    ['another format', JSON.stringify({ ...pointer, format: 'other' })],
    ['a newer version', JSON.stringify({ ...pointer, version: 2 })],
    ['a path as generation', JSON.stringify({ ...pointer, generation: '../elsewhere' })],
    ['a generation that is not there', JSON.stringify({ ...pointer, generation: 'gen-9-0badc0de' })]
  ]
  for (const [what, text] of cases) {
    writeFileSync(join(directory, 'ledger.json'), text)
    await assert.rejects(OrphanAgeLedger.open({ directory, minAge: '7d' }), { code: 'KEYDIFF_INDEX_VERSION' }, what)
  }
  // a generation swapped for another run's (say, copied from another ledger) is refused too
  const other = fresh()
  await run(other, T0, [['b']])
  const otherGeneration = readdirSync(other).find(name => name.startsWith('gen-')) as string
  cpSync(join(other, otherGeneration), join(directory, otherGeneration), { recursive: true })
  writeFileSync(join(directory, 'ledger.json'), JSON.stringify({ ...pointer, generation: otherGeneration }))
  await assert.rejects(OrphanAgeLedger.open({ directory, minAge: '7d' }), { code: 'KEYDIFF_INDEX_VERSION' })
})

test('committing reports the run, and the next open names it as previous', async () => {
  const directory = fresh()
  const first = await OrphanAgeLedger.open({ directory, minAge: '7d', now: T0 })
  assert.deepEqual(await first.commit(), { runs: 1, runAt: new Date(T0) })
  const second = await OrphanAgeLedger.open({ directory, minAge: '7d', now: T0 + DAY })
  assert.deepEqual(second.previous, { runs: 1, runAt: new Date(T0) })
  assert.deepEqual(await second.commit(), { runs: 2, runAt: new Date(T0 + DAY) })
  // the old generation is gone: one generation and the pointer remain
  assert.deepEqual(readdirSync(directory).filter(name => name !== 'ledger.json').length, 1)
})

/**
 * The directory states a crash leaves, made by copying a real ledger's files at that moment
 * (a copy holds no LevelDB lock, as a killed process holds none).
 */
test('a crash before the pointer is renamed recovers the old state, and removes the debris', async () => {
  const directory = fresh()
  await run(directory, T0, [['a', 'b']])
  const oldGeneration = readdirSync(directory).find(name => name.startsWith('gen-')) as string
  const ledger = await OrphanAgeLedger.open({ directory, minAge: '7d', now: T0 + DAY })
  await ledger.observe(['b', 'c'])
  const newGeneration = readdirSync(directory).find(name => name.startsWith('gen-') && name !== oldGeneration) as string
  const crashed = fresh()
  cpSync(directory, crashed, { recursive: true })
  await ledger.abort()
  // the new pointer was staged (written in full) but not yet renamed into place
  const pointer = JSON.parse(readFileSync(join(crashed, 'ledger.json'), 'utf8')) as Record<string, unknown>
  writeFileSync(join(crashed, 'ledger.json.0123abcd.tmp'), JSON.stringify({ ...pointer, generation: newGeneration, runs: 2 }))
  writeFileSync(join(crashed, 'notes.txt'), 'not the ledger\'s')
  assert.deepEqual(await state(crashed), new Map([['a', T0], ['b', T0]]))
  assert.deepEqual(readdirSync(crashed).sort(), [oldGeneration, 'ledger.json', 'notes.txt'].sort())
})

test('a crash after the pointer is renamed, before the old generation is removed, gives the new state', async () => {
  const directory = fresh()
  await run(directory, T0, [['a', 'b']])
  const ledger = await OrphanAgeLedger.open({ directory, minAge: '7d', now: T0 + DAY })
  await ledger.observe(['b', 'c'])
  const crashed = fresh()
  cpSync(directory, crashed, { recursive: true })
  await ledger.commit()
  const newGeneration = readdirSync(directory).find(name => name.startsWith('gen-')) as string
  // the new generation as committed (its synced commit record included), the old one still there
  rmSync(join(crashed, newGeneration), { recursive: true })
  cpSync(join(directory, newGeneration), join(crashed, newGeneration), { recursive: true })
  cpSync(join(directory, 'ledger.json'), join(crashed, 'ledger.json'))
  assert.deepEqual(await state(crashed), new Map([['b', T0], ['c', T0 + DAY]]))
  assert.deepEqual(readdirSync(crashed).sort(), [newGeneration, 'ledger.json'])
})

test('a ledger whose first run crashed is empty, and its half-written generation is removed', async () => {
  const directory = fresh()
  const ledger = await OrphanAgeLedger.open({ directory, minAge: '7d', now: T0 })
  await ledger.observe(['a'])
  const crashed = fresh()
  cpSync(directory, crashed, { recursive: true })
  await ledger.abort()
  // and a generation whose files were half written
  const generation = readdirSync(crashed)[0] as string
  for (const file of readdirSync(join(crashed, generation))) writeFileSync(join(crashed, generation, file), 'torn')
  assert.deepEqual(await state(crashed), new Map())
  assert.deepEqual(readdirSync(crashed), [])
})

test('keys with lone surrogates keep their own ages (no two keys share an entry)', async () => {
  const directory = fresh()
  await run(directory, T0, [['\ud800', 'x\udc00y']])
  const later = await run(directory, T0 + 8 * DAY, [['\ufffd', 'x\ufffdy', '\ud800']])
  assert.deepEqual(later.oldEnough, ['\ud800'])
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), (a, b) => {
    const x = encodeLedgerKey(a, 1)
    assert.equal(decodeLedgerKey(x), a)
    assert.equal(x.equals(encodeLedgerKey(b, 1)), a === b)
  }), { numRuns: 500 })
})

test('entries come in the UTF-8 byte order of the keys', async () => {
  const directory = fresh()
  const keys = ['b', 'a', '\uffff', '\u{10000}', 'é', 'a/b', 'a-b', '']
  await run(directory, T0, [keys])
  assert.deepEqual([...(await state(directory)).keys()], [...keys].sort(compareKeys))
})

test('any sequence of runs gives the verdicts and the state of a plain Map of first-seen times', async () => {
  const keyArb = fc.constantFrom('a', 'b', 'c', 'd/e', 'é', '\u{1f600}', '\ud800', '')
  const runArb = fc.record({
    advance: fc.constantFrom(0, DAY, 3 * DAY, 7 * DAY, 8 * DAY, -DAY),
    batches: fc.array(fc.array(keyArb, { maxLength: 6 }), { maxLength: 3 }),
    outcome: fc.constantFrom<'commit' | 'abort'>('commit', 'commit', 'abort')
  })
  await fc.assert(fc.asyncProperty(fc.array(runArb, { minLength: 1, maxLength: 5 }), fc.constantFrom(0, 7 * DAY), async (runs, minAge) => {
    const directory = fresh()
    let model = new Map<string, number>()
    let hasCommitted = false
    let now = T0
    for (const step of runs) {
      now += step.advance
      const ledger = await OrphanAgeLedger.open({ directory, minAge, now })
      const next = new Map<string, number>()
      for (const batch of step.batches) {
        const ages = await ledger.observe(batch)
        batch.forEach((key, i) => {
          const seen = model.get(key)
          assert.equal(ages.oldEnough[i], seen !== undefined && now - seen >= minAge, `old enough: ${JSON.stringify(key)}`)
          assert.equal(ages.firstSeen[i], seen ?? now)
          next.set(key, seen ?? now)
        })
      }
      if (step.outcome === 'commit') {
        await ledger.commit()
        model = next
        hasCommitted = true
      } else {
        await ledger.abort()
      }
    }
    const committed = await state(directory)
    assert.deepEqual(committed, model)
    assert.equal(readdirSync(directory).length, hasCommitted ? 2 : 0)
    rmSync(directory, { recursive: true, force: true })
  }), { numRuns: 25 })
})
