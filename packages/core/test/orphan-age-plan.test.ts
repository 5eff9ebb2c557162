import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { OrphanAgeLedger, plan, type PlanOptions } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { DAY, OLD, planKeys } from './sweep-helpers.ts'

let dir = ''
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-orphan-age-plan-')) })
after(async () => { if (dir !== '') await rm(dir, { recursive: true, force: true }) })

const ALL = Array.from({ length: 20 }, (_, i) => `blobs/k${String(i).padStart(2, '0')}`)

function planOf (ledger: string, candidates: string[], references: string[], extra: Partial<PlanOptions> = {}) {
  return plan({
    candidates: keySource([candidates.map(key => ({ key, size: 10, lastModified: OLD }))], { name: 'listing' }),
    references: keySource([references.map(key => ({ key }))], { name: 'refs' }),
    out: join(dir, 'plan.jsonl'),
    minOrphanAge: '7d',
    orphanAgeDirectory: ledger,
    ...extra
  })
}

test('minOrphanAge: a key is planned only once runs have found it orphaned for that long, by every run since', async () => {
  const ledger = join(dir, 'a')
  const first = await planOf(ledger, ALL, ALL.slice(2))
  assert.equal(first.header.counts.planned, 0, 'the first run that finds an orphan never plans it')
  assert.equal(first.header.counts.tooRecentlyOrphaned, 2)
  assert.equal(first.header.bytes.tooRecentlyOrphaned, 20)
  assert.deepEqual(first.header.orphanAge, { minAgeMs: 7 * DAY, previousRuns: 0, previousRunAt: null })

  const soon = await planOf(ledger, ALL, ALL.slice(2))
  assert.equal(soon.header.counts.planned, 0, 'seen orphaned moments ago is not seven days')
  assert.equal(soon.header.orphanAge?.previousRuns, 1)

  // An earlier run, eight days ago, found k00 and k01 orphaned: rewrite the ledger as it would have left it.
  await rm(ledger, { recursive: true })
  const past = await OrphanAgeLedger.open({ directory: ledger, minAge: '7d', now: Date.now() - 8 * DAY, scope: 'listing' })
  await past.observe(ALL.slice(0, 2))
  await past.commit()
  const later = await planOf(ledger, ALL, ALL.slice(1))
  assert.deepEqual(await planKeys(later.path), ['blobs/k00'], 'k01 is referenced again in this run')
  const after = await planOf(ledger, ALL, ALL.slice(2))
  assert.deepEqual(await planKeys(after.path), ['blobs/k00'], 'k01 was not orphaned in the run between: its clock started again')
  assert.equal(after.header.counts.tooRecentlyOrphaned, 1)
})

test('minOrphanAge: a refused or failed plan leaves the first-seen times as they were', async () => {
  const ledger = join(dir, 'b')
  await planOf(ledger, ALL, ALL.slice(2))
  // nearly every candidate unreferenced: the orphan-share guard refuses, and must not record them
  await assert.rejects(planOf(ledger, ALL, ['blobs/k19']), { code: 'KEYDIFF_PLAN_REFUSED' })
  const broken = keySource(async function * () {
    yield [{ key: 'blobs/k05' }]
    throw new Error('connection reset')
  }, { name: 'broken' })
  await assert.rejects(plan({
    candidates: keySource([ALL.map(key => ({ key, size: 10, lastModified: OLD }))], { name: 'listing' }),
    references: broken,
    out: join(dir, 'plan.jsonl'),
    minOrphanAge: '7d',
    orphanAgeDirectory: ledger
  }))
  const ages = await OrphanAgeLedger.open({ directory: ledger, minAge: '7d', scope: 'listing' })
  const seen: string[] = []
  for await (const batch of ages.entries()) seen.push(...batch.map(entry => entry.key))
  await ages.abort()
  assert.deepEqual(seen, ALL.slice(0, 2), 'only the first, successful run is recorded')
})

test('minOrphanAge needs a directory for its first-seen times', async () => {
  await assert.rejects(planOf(join(dir, 'c'), ALL, ALL, { orphanAgeDirectory: undefined }), { code: 'KEYDIFF_INVALID_OPTION' })
})
