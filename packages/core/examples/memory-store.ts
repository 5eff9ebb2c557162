import { compareKeys, InvalidOptionError, SourceError, type KeyEntry, type KeySource, type Lock, type RestorableSink, type SinkOutcome } from '@keydiff/core'
import { keySource, objectLock } from '@keydiff/core/adapter'

/** The "server" of this adapter: objects by key, as a store's client reaches them. */
export class MemoryBucket {
  readonly objects = new Map<string, { size: number, lastModified: Date }>()
  /** Keys whose removal the store refuses, as a bucket policy would. */
  readonly denied = new Set<string>()
  /** The lock object, with a version that every write changes. */
  lockObject: { text: string, version: string } | undefined
  /** Set, every request fails, as when the server goes away. */
  unavailable = false
  private versions = 0

  constructor (readonly name: string) {}

  /** Every request passes here first, as a network round trip would. */
  request (): void {
    if (this.unavailable) throw new Error(`memory://${this.name}: connection refused`)
  }

  nextVersion (): string {
    return String(++this.versions)
  }
}

export interface MemoryStoreOptions {
  /** The store's client, as every adapter takes it. Required. */
  client: MemoryBucket
  /** Only keys under it. @default '' */
  prefix?: string
  /** Keys per batch. @default 1000 */
  batchSize?: number
}

function checked (factory: string, options: MemoryStoreOptions): Required<MemoryStoreOptions> {
  if (!(options?.client instanceof MemoryBucket)) throw new TypeError(`memory-store ${factory}: option client is required`)
  const batchSize = options.batchSize ?? 1000
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidOptionError('batchSize', `${String(batchSize)} is not a positive integer`)
  return { client: options.client, prefix: options.prefix ?? '', batchSize }
}

/** Lists the bucket in UTF-8 byte order, so the engine may merge instead of hashing. */
export function memorySource (options: MemoryStoreOptions): KeySource {
  const { client, prefix, batchSize } = checked('memorySource', options)
  const name = `memory://${client.name}/${prefix}`
  return keySource(async function * () {
    try {
      client.request()
    } catch (error) {
      // a source that cannot read fails the run, naming itself: it never ends early
      throw new SourceError(name, `listing failed: ${(error as Error).message}`, { cause: error })
    }
    const keys = [...client.objects.keys()].filter(key => key.startsWith(prefix)).sort(compareKeys)
    for (let i = 0; i < keys.length; i += batchSize) {
      yield keys.slice(i, i + batchSize).map((key): KeyEntry => ({ key, ...client.objects.get(key) }))
    }
  }, { name, sorted: true, estimatedCount: client.objects.size, supports: { sizes: true, lastModified: true, controlCharacters: true } })
}

/** Moves orphans under `trash` and back: a sink whose action `restore` undoes. */
export function memoryQuarantineSink (options: MemoryStoreOptions & { trash?: string }): RestorableSink {
  const { client } = checked('memoryQuarantineSink', options)
  const trash = options.trash ?? '.trash/'
  const move = (from: (key: string) => string, to: (key: string) => string) =>
    async (batch: readonly KeyEntry[]): Promise<SinkOutcome[]> => {
      // a store that does not answer fails the whole batch: every key of it counts as failed
      client.request()
      return batch.map(({ key }) => {
        if (client.denied.has(key)) return { key, ok: false, error: 'AccessDenied', retryable: false }
        const object = client.objects.get(from(key))
        // acting twice is harmless: what was moved already counts as done
        if (object !== undefined) {
          client.objects.delete(from(key))
          client.objects.set(to(key), object)
        }
        return { key, ok: true }
      })
    }
  return {
    name: `quarantine:memory://${client.name}/`,
    action: 'quarantine',
    // the plan's store: apply refuses a plan made for another
    store: `memory://${client.name}/`,
    trash: `memory://${client.name}/${trash}`,
    apply: move(key => key, key => trash + key),
    restore: move(key => trash + key, key => key)
  }
}

/** One sweep at a time, held as an object of the bucket with a lease, by core's objectLock. */
export function memoryLock (options: MemoryStoreOptions): Lock {
  const { client } = checked('memoryLock', options)
  return objectLock({
    target: `memory://${client.name}/.keydiff/lock`,
    adapter: 'memory',
    store: {
      read: async () => {
        client.request()
        return client.lockObject
      },
      create: async text => {
        client.request()
        if (client.lockObject !== undefined) return undefined
        client.lockObject = { text, version: client.nextVersion() }
        return client.lockObject.version
      },
      replace: async (text, version) => {
        client.request()
        if (client.lockObject?.version !== version) return undefined
        client.lockObject = { text, version: client.nextVersion() }
        return client.lockObject.version
      },
      remove: async version => {
        client.request()
        if (client.lockObject?.version === version) client.lockObject = undefined
      }
    }
  })
}
