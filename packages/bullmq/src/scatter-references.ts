import { randomUUID } from 'node:crypto'
import { appendFile, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { compareKeys } from '@keydiff/core'
import type { KeyRange } from '@keydiff/core/adapter'
import { mayResolveElsewhere } from '@keydiff/core/adapter'
import type { RunDescription, ShardOpener } from './shard-opener.ts'

/** The work of routing the references into per-shard files: the job's data. */
export interface ScatterTask {
  run: string
  /** The run's shards, in key order. */
  ranges: KeyRange[]
  description: RunDescription
}

/** Where the references went: per shard, one file per reference source, relative to the shared directory. */
export interface ScatterDescriptor {
  /** `shards[j][i]`: the keys of reference source i for shard j, a JSON line `{"k": key}` each. */
  shards: string[][]
  /** Names of the reference sources, in order. */
  names: string[]
  /** References read. */
  keys: number
}

const FLUSH_BYTES = 1 << 16

/**
 * Reads every reference source once and writes each key into the file of the shard whose
 * range holds it (a key that may resolve to another key, into every shard's file), under an
 * attempt-unique directory: the shards then read their own keys instead of every source whole.
 */
export async function scatterReferences (task: ScatterTask, context: { shared: string, opener: ShardOpener, jobId: string, attempt: number, signal?: AbortSignal | undefined }): Promise<ScatterDescriptor> {
  const opened = await context.opener(task.description, {}, 'plan')
  try {
    const directory = join(task.run, 'references', `${context.jobId}.${context.attempt}.${randomUUID().slice(0, 8)}`)
    await mkdir(join(context.shared, directory), { recursive: true })
    const uppers = task.ranges.map(range => range.upTo)
    const shards: string[][] = task.ranges.map(() => [])
    let keys = 0
    for (const [i, source] of opened.references.entries()) {
      const files = task.ranges.map((_, shard) => join(directory, `source-${i}.shard-${String(shard).padStart(5, '0')}.jsonl`))
      await Promise.all(files.map(async file => { await writeFile(join(context.shared, file), '') }))
      const pending = task.ranges.map(() => '')
      const flush = async (shard: number): Promise<void> => {
        const text = pending[shard] as string
        if (text === '') return
        pending[shard] = ''
        await appendFile(join(context.shared, files[shard] as string), text)
      }
      for await (const batch of source) {
        context.signal?.throwIfAborted()
        for (const entry of batch) {
          keys++
          const line = JSON.stringify({ k: entry.key }) + '\n'
          const targets = mayResolveElsewhere(entry.key) ? task.ranges.map((_, shard) => shard) : [shardOf(entry.key, uppers)]
          for (const shard of targets) {
            pending[shard] += line
            if ((pending[shard] as string).length >= FLUSH_BYTES) await flush(shard)
          }
        }
      }
      for (let shard = 0; shard < pending.length; shard++) await flush(shard)
      files.forEach((file, shard) => { shards[shard]?.push(file) })
    }
    return { shards, names: opened.references.map(source => source.name), keys }
  } finally {
    await opened.close()
  }
}

/** The shard whose range `(after, upTo]` holds the key: the first whose upTo is not below it. */
function shardOf (key: string, uppers: ReadonlyArray<string | undefined>): number {
  let low = 0
  let high = uppers.length - 1
  while (low < high) {
    const middle = (low + high) >> 1
    const upTo = uppers[middle]
    if (upTo !== undefined && compareKeys(key, upTo) > 0) low = middle + 1
    else high = middle
  }
  return low
}
