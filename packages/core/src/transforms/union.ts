import { asSourceError } from '../errors.ts'
import { checkOrder } from '../keys/check-order.ts'
import { compareKeys } from '../keys/compare-keys.ts'
import type { KeyBatch, KeyEntry } from '../keys/key-entry.ts'
import { toKeySource } from '../keys/key-source.ts'
import { LINE_CHUNKS, type KeySource, type KeySourceLike, type LineChunk } from '../contracts/key-source.ts'
import { LINE_FILES, lineChunksOf, lineFilesOf, type LineFile } from '../engine/line-chunks.ts'

const MERGE_BATCH = 2048

/**
 * All keys of several sources as one source — how references from several databases that
 * share a bucket are combined before any diff. When every input is sorted, the union is a
 * k-way merge and stays sorted; otherwise the inputs are read one after the other.
 * Its scan start is the earliest of the inputs' (the conservative choice for the fence), and
 * a failure of any input fails the union.
 */
export function union (...inputs: KeySourceLike[]): KeySource {
  if (inputs.length === 0) throw new TypeError('union: needs at least one source')
  const sources = inputs.map(input => toKeySource(input))
  const sorted = sources.every(source => source.sorted)
  if (sources.length === 1) return sources[0] as KeySource
  const counts = sources.map(source => source.estimatedCount)
  const union: KeySource = {
    name: sources.length === 1 ? (sources[0] as KeySource).name : `union(${sources.map(source => source.name).join(', ')})`,
    sorted,
    estimatedCount: counts.every(count => typeof count === 'number') ? (counts as number[]).reduce((a, b) => a + b, 0) : undefined,
    get scanStartedAt () {
      const starts = sources.map(source => source.scanStartedAt?.getTime()).filter((time): time is number => time !== undefined)
      return starts.length === 0 ? undefined : new Date(Math.min(...starts))
    },
    // the basis of the earliest start, which is the union's
    get scanBasis () {
      return sources.filter(source => source.scanStartedAt !== undefined).sort((a, b) => (a.scanStartedAt as Date).getTime() - (b.scanStartedAt as Date).getTime())[0]?.scanBasis
    },
    // what any input could not list, so that a plan still says so
    get unlisted () {
      const reports = sources.flatMap(source => source.unlisted === undefined ? [] : [source.unlisted])
      if (reports.length === 0) return undefined
      return { count: reports.reduce((sum, report) => sum + report.count, 0), examples: reports.flatMap(report => report.examples).slice(0, 10) }
    },
    [Symbol.asyncIterator]: () => (sorted ? mergeSorted(sources) : concat(sources))[Symbol.asyncIterator]()
  }
  // Files read one after the other keep the engine's byte path (engine/line-chunks.ts).
  const readers = sources.map(lineChunksOf)
  if (sorted || readers.some(reader => reader === undefined)) return union
  Object.assign(union, { [LINE_CHUNKS]: () => concatChunks(sources, readers as Array<() => AsyncIterable<LineChunk>>) })
  const files = sources.map(lineFilesOf)
  if (files.some(list => list === undefined)) return union
  return Object.assign(union, { [LINE_FILES]: () => (files as Array<() => LineFile[]>).flatMap(list => list()) })
}

async function * concatChunks (sources: KeySource[], readers: Array<() => AsyncIterable<LineChunk>>): AsyncGenerator<LineChunk> {
  for (let i = 0; i < sources.length; i++) {
    try {
      yield * (readers[i] as () => AsyncIterable<LineChunk>)()
    } catch (error) {
      throw asSourceError((sources[i] as KeySource).name, error)
    }
  }
}

async function * concat (sources: KeySource[]): AsyncGenerator<KeyBatch> {
  for (const source of sources) {
    try {
      yield * source
    } catch (error) {
      throw asSourceError(source.name, error)
    }
  }
}

interface Cursor {
  iterator: AsyncIterator<KeyBatch>
  batch: KeyBatch
  index: number
  name: string
}

async function * mergeSorted (sources: KeySource[]): AsyncGenerator<KeyBatch> {
  const cursors: Cursor[] = []
  try {
    await Promise.all(sources.map(async source => {
      const iterator = checkOrder(source)[Symbol.asyncIterator]()
      const cursor: Cursor = { iterator, batch: [], index: 0, name: source.name }
      cursors.push(cursor)
      await refill(cursor)
    }))
    let live = cursors.filter(cursor => cursor.index < cursor.batch.length)
    let out: KeyEntry[] = []
    while (live.length > 0) {
      let min = live[0] as Cursor
      for (let i = 1; i < live.length; i++) {
        const cursor = live[i] as Cursor
        if (compareKeys((cursor.batch[cursor.index] as KeyEntry).key, (min.batch[min.index] as KeyEntry).key) < 0) min = cursor
      }
      out.push(min.batch[min.index++] as KeyEntry)
      if (out.length >= MERGE_BATCH) {
        yield out
        out = []
      }
      if (min.index >= min.batch.length) {
        await refill(min)
        if (min.index >= min.batch.length) live = live.filter(cursor => cursor !== min)
      }
    }
    if (out.length > 0) yield out
  } finally {
    await Promise.all(cursors.map(async cursor => await cursor.iterator.return?.()))
  }
}

async function refill (cursor: Cursor): Promise<void> {
  try {
    for (;;) {
      const next = await cursor.iterator.next()
      if (next.done === true) {
        cursor.batch = []
        cursor.index = 0
        return
      }
      if (next.value.length > 0) {
        cursor.batch = next.value
        cursor.index = 0
        return
      }
    }
  } catch (error) {
    throw asSourceError(cursor.name, error)
  }
}
