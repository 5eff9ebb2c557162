import bloomFilters from 'bloom-filters'
// @ts-expect-error bloomfilter ships no types
import { BloomFilter as FnvBloomFilter } from 'bloomfilter'
import { SplitBlockBloomFilter, bitsPerKeyFor, hashBatch, xxh64 } from '../src/index.ts'
import type { KeyEntry } from '../src/index.ts'
import { BATCH } from './keys.ts'

/** One implementation under test: fill it with batches, then check batches against it. */
export interface Contender {
  name: string
  add: (batch: KeyEntry[]) => void
  check: (batch: KeyEntry[], out: Uint8Array) => void
}

const encoder = new TextEncoder()
const RATE = 0.01

export function keydiffWasm (count: number): Contender {
  const filter = SplitBlockBloomFilter.create({ expectedCount: count, falsePositiveRate: RATE })
  return {
    name: 'keydiff SBBF, WebAssembly hash + bits',
    add: (batch) => { filter.addBatch(batch) },
    check: (batch, out) => { filter.checkBatch(batch, out) }
  }
}

export function keydiffWasmHashJsBits (count: number): Contender {
  const filter = SplitBlockBloomFilter.create({ expectedCount: count, falsePositiveRate: RATE })
  const hashes = new Uint32Array(BATCH * 2)
  return {
    name: 'keydiff SBBF, WebAssembly hash, JS bits',
    add: (batch) => {
      hashBatch(batch, hashes)
      for (let i = 0; i < batch.length; i++) filter.insertHash(hashes[2 * i] as number, hashes[2 * i + 1] as number)
    },
    check: (batch, out) => {
      hashBatch(batch, hashes)
      for (let i = 0; i < batch.length; i++) out[i] = filter.checkHash(hashes[2 * i] as number, hashes[2 * i + 1] as number) ? 1 : 0
    }
  }
}

export function keydiffReference (count: number): Contender {
  const filter = SplitBlockBloomFilter.create({ expectedCount: count, falsePositiveRate: RATE })
  const split = (key: string): [number, number] => {
    const hash = xxh64(encoder.encode(key))
    return [Number(hash >> 32n), Number(hash & 0xffffffffn)]
  }
  return {
    name: 'keydiff SBBF, BigInt XXH64 + JS bits (reference)',
    add: (batch) => { for (const entry of batch) filter.insertHash(...split(entry.key)) },
    check: (batch, out) => { for (let i = 0; i < batch.length; i++) out[i] = filter.checkHash(...split((batch[i] as KeyEntry).key)) ? 1 : 0 }
  }
}

export function bloomFiltersPackage (count: number): Contender {
  const bits = Math.ceil(count * bitsPerKeyFor(RATE))
  const filter = new bloomFilters.BloomFilter(bits, 7)
  return {
    name: 'bloom-filters BloomFilter',
    add: (batch) => { for (const entry of batch) filter.add(entry.key) },
    check: (batch, out) => { for (let i = 0; i < batch.length; i++) out[i] = filter.has((batch[i] as KeyEntry).key) ? 1 : 0 }
  }
}

interface FnvFilter { add: (key: string) => void, test: (key: string) => boolean }

export function bloomfilterPackage (count: number): Contender {
  // Its own sizing for 1%: about 9.6 bits per key and 7 hashes.
  const filter = new FnvBloomFilter(Math.ceil(count * 9.6 / 32) * 32, 7) as FnvFilter
  return {
    name: 'bloomfilter',
    add: (batch) => { for (const entry of batch) filter.add(entry.key) },
    check: (batch, out) => { for (let i = 0; i < batch.length; i++) out[i] = filter.test((batch[i] as KeyEntry).key) ? 1 : 0 }
  }
}

export function jsSet (): Contender {
  const set = new Set<string>()
  return {
    name: 'JS Set (exact)',
    add: (batch) => { for (const entry of batch) set.add(entry.key) },
    check: (batch, out) => { for (let i = 0; i < batch.length; i++) out[i] = set.has((batch[i] as KeyEntry).key) ? 1 : 0 }
  }
}
