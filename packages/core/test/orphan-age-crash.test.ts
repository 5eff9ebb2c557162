import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, test } from 'node:test'
import { OrphanAgeLedger } from '../src/sweep/orphan-age.ts'
import { runKeys, runTime } from './orphan-age-child.ts'

const work = mkdtempSync(join(tmpdir(), 'keydiff-orphan-age-crash-'))
after(() => rmSync(work, { recursive: true, force: true }))

/** The state after each of the child's runs: state[i] after run i, state[0] empty. */
function modelStates (runs: number): string[] {
  const states: string[] = []
  let model = new Map<string, number>()
  states.push(signature(model))
  for (let i = 1; i <= runs; i++) {
    const next = new Map<string, number>()
    for (const key of runKeys(i)) next.set(key, model.get(key) ?? runTime(i))
    model = next
    states.push(signature(model))
  }
  return states
}

const signature = (state: Map<string, number>): string => JSON.stringify([...state].sort((a, b) => a[0] < b[0] ? -1 : 1))

async function recovered (directory: string, now: number): Promise<{ state: Map<string, number>, ledger: OrphanAgeLedger }> {
  const ledger = await OrphanAgeLedger.open({ directory, minAge: 0, now })
  const state = new Map<string, number>()
  for await (const entries of ledger.entries()) for (const entry of entries) state.set(entry.key, entry.firstSeen)
  return { state, ledger }
}

test('SIGKILL during a commit leaves the state before it or after it, never a mix, and the next run goes on', async t => {
  const states = modelStates(6)
  const outcomes: string[] = []
  // Kill delays after `committing i` is read, in ms: a commit is a synced write, a synced
  // pointer and two directory syncs, so these land before, inside and after its rename.
  for (const [n, delay] of [0, 1, 2, 4, 8, 16].entries()) {
    const directory = join(work, `ledger-${n}`)
    const target = 2
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=keydiff-source', join(import.meta.dirname, 'orphan-age-child.ts'), 'commit-loop', directory], { stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = new Promise<NodeJS.Signals | null>(resolve => child.on('exit', (_, signal) => resolve(signal)))
    let committed = 0
    for await (const line of createInterface({ input: child.stdout })) {
      const [what, i] = line.split(' ')
      if (what === 'committed') committed = Number(i)
      if (line === `committing ${target}`) {
        if (delay === 0) child.kill('SIGKILL')
        else setTimeout(() => child.kill('SIGKILL'), delay)
      }
    }
    assert.equal(await exited, 'SIGKILL')

    const { state, ledger } = await recovered(directory, runTime(20))
    const found = states.indexOf(signature(state))
    assert.ok(found >= 0, `kill ${delay} ms into commit ${target}: the recovered state is no run's state (${state.size} keys)`)
    assert.ok(found >= committed && found >= target - 1 && found <= committed + 1, `kill ${delay} ms into commit ${target}: state of run ${found}, after run ${committed} had committed`)
    outcomes.push(`${delay} ms: run ${found}`)
    // debris is gone: the committed generation, this run's, and the pointer
    assert.equal(readdirSync(directory).length, found === 0 ? 1 : 3)
    // the next run reads the recovered state and commits on top of it
    const keys = runKeys(found + 1)
    await ledger.observe(keys)
    await ledger.commit()
    const after = await recovered(directory, runTime(21))
    const expected = new Map<string, number>()
    const before = new Map<string, number>(JSON.parse(states[found] as string) as Array<[string, number]>)
    for (const key of keys) expected.set(key, before.get(key) ?? runTime(20))
    assert.equal(signature(after.state), signature(expected))
    await after.ledger.abort()
  }
  t.diagnostic(`recovered states: ${outcomes.join(', ')}`)
})
