import type { KeyEntry } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import type { KeyRange } from '@keydiff/core/adapter'
import { inRange, type ShardOpener } from '../src/index.ts'

/** A store of `keys` content-addressed keys listed in pages of `page` keys, each after `latencyMs`, as an object store lists. */
export interface LatencyRun {
  keys: number
  page: number
  latencyMs: number
}

const pause = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Key `i` of `n`, spread evenly over the hex space after `k/`, in byte order. */
const keyOf = (i: number, n: number): string => `k/${Math.floor(i * 0x1_0000_0000 / n).toString(16).padStart(8, '0')}`

/** Lists the keys of the range only, a page at a time; references name every other key. */
export const latencyOpener: ShardOpener = async (description: object, range: KeyRange) => {
  const run = description as LatencyRun
  const inShard = (): number[] => {
    const indexes: number[] = []
    for (let i = 0; i < run.keys; i++) if (inRange(keyOf(i, run.keys), range)) indexes.push(i)
    return indexes
  }
  const modified = new Date(Date.now() - 3 * 24 * 3600_000)
  const pages = (filter: (i: number) => boolean, latency: number) => async function * (): AsyncGenerator<KeyEntry[]> {
    let page: KeyEntry[] = []
    for (const i of inShard()) {
      if (!filter(i)) continue
      page.push({ key: keyOf(i, run.keys), size: 1, lastModified: modified })
      if (page.length === run.page) {
        if (latency > 0) await pause(latency)
        yield page
        page = []
      }
    }
    if (page.length > 0) {
      if (latency > 0) await pause(latency)
      yield page
    }
  }
  return {
    candidates: keySource(pages(() => true, run.latencyMs), { name: 'bench', sorted: true }),
    references: [keySource(pages(i => i % 2 === 0, 0), { name: 'bench-references', sorted: true })],
    close: async () => {}
  }
}
