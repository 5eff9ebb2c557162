import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { compareKeys, type KeySource } from '@keydiff/core'
import { referencesInRange } from '@keydiff/bullmq'
import type { KeyRange } from '@keydiff/core/adapter'
import fc from 'fast-check'
import { verifySortedReferences } from '../src/commands/sorted-file-check.ts'
import { describeRun, loadConfig, openRun } from '../src/index.ts'

let dir: string
let runs = 0
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-sorted-shard-reads-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

/** What a shard keeps of its references (bullmq's referencesInRange after the source), or the code it failed with. */
async function shardKeys (source: KeySource, range: KeyRange): Promise<string[] | { code: string }> {
  const kept: string[] = []
  try {
    for await (const batch of referencesInRange(source, range)) kept.push(...batch.map(entry => entry.key))
  } catch (error) {
    return { code: (error as { code?: string }).code ?? String(error) }
  }
  return kept
}

// keys of plain segments, and now and then one that may resolve elsewhere ('.', '%', a leading or doubled '/')
const CHARACTERS = ['a', 'b', 'z', 'é', '\uE000', '😀', '/', '.', '%']
const text = (maxLength: number): fc.Arbitrary<string> => fc.array(fc.constantFrom(...CHARACTERS), { maxLength }).map(chars => chars.join(''))
const segment = fc.array(fc.constantFrom(...CHARACTERS.slice(0, 6)), { minLength: 1, maxLength: 3 }).map(chars => chars.join(''))
const key = fc.oneof({ weight: 40, arbitrary: fc.array(segment, { minLength: 1, maxLength: 3 }).map(segments => segments.join('/')) }, { weight: 1, arbitrary: text(6) })
// with stripPrefix, most keys carry it; the rest follow onMismatch
const carriesStrip = fc.oneof({ weight: 20, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) })
const mapping = fc.record({
  prefix: fc.constantFrom(undefined, 'blobs/', 'b'),
  stripPrefix: fc.constantFrom(undefined, 'cdn/'),
  onMismatch: fc.constantFrom(undefined, 'drop' as const)
})

test('property: a shard that reads a verified sorted file by byte range keeps exactly what it keeps of the whole file', async () => {
  let byRange = 0
  await fc.assert(fc.asyncProperty(
    fc.array(fc.tuple(carriesStrip, key), { maxLength: 40 }), mapping, fc.option(text(4), { nil: undefined }), fc.option(text(4), { nil: undefined }),
    async (written, map, lower, upper) => {
      const strip = map.stripPrefix ?? ''
      const keys = written.map(([prefixed, key]) => prefixed ? strip + key : key).filter(key => key.length > 0).sort(compareKeys)
      const n = runs++
      await writeFile(join(dir, `refs-${n}.txt`), keys.join('\n') + '\n')
      const reference = [
        `file = "refs-${n}.txt"`, 'sorted = true',
        ...(map.prefix === undefined ? [] : [`prefix = "${map.prefix}"`]),
        ...(map.stripPrefix === undefined ? [] : [`stripPrefix = "${map.stripPrefix}"`]),
        ...(map.stripPrefix === undefined || map.onMismatch === undefined ? [] : [`onMismatch = "${map.onMismatch}"`])
      ].join(', ')
      await writeFile(join(dir, `run-${n}.toml`), `[stores.s]\ntype = "directory"\npath = "${dir}"\n\n[[runs]]\nname = "r"\ncandidates = { store = "s" }\nreferences = [{ ${reference} }]\n`)
      const config = await loadConfig(join(dir, `run-${n}.toml`))
      const run = config.runs[0] as (typeof config.runs)[number]
      const range: KeyRange = { after: lower, upTo: upper }
      const sortedFiles = await verifySortedReferences(config, run, [range], { warn: () => {} })
      if (sortedFiles.length > 0) byRange++
      const read = async (withStamps: boolean): Promise<string[] | { code: string }> => {
        const opened = await openRun(describeRun(config, 'r', withStamps ? { sortedFiles } : {}))
        try {
          const references = await opened.references({ range })
          return await shardKeys(references.sources[0] as KeySource, range)
        } finally {
          await opened.close()
        }
      }
      assert.deepEqual(await read(true), await read(false))
    }), { numRuns: 120 })
  // the property is about range reads: most runs must have made one
  assert.ok(byRange > 60, `${byRange} of 120 runs read by byte range`)
})
