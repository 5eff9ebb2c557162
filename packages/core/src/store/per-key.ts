import type { SinkOutcome } from '../contracts/sink.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { HeldDirectories } from './held-directories.ts'
import { KeyRefused, withKeyFiles, type KeyFileOpener } from './no-follow.ts'
import { fsErrorText, isRetryable, unsafeKeyReason } from './store-path.ts'

/** File operations in flight per batch: enough to hide latency, few enough for a small machine. */
const PARALLEL = 8

/**
 * Runs a file operation per entry, a few at a time, and turns each result into an outcome:
 * a thrown error becomes a failed outcome with its code (a KeyRefused is final), an unsafe
 * key is refused without touching the disk, and an operation may itself return a failure
 * reason.
 */
export async function perKey (
  batch: readonly KeyEntry[],
  operation: (entry: KeyEntry) => Promise<string | undefined>,
  signal?: AbortSignal
): Promise<SinkOutcome[]> {
  const outcomes: SinkOutcome[] = new Array(batch.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < batch.length) {
      const index = next++
      const entry = batch[index] as KeyEntry
      outcomes[index] = await one(entry, operation, signal)
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL, batch.length) }, worker))
  return outcomes
}

async function one (entry: KeyEntry, operation: (entry: KeyEntry) => Promise<string | undefined>, signal?: AbortSignal): Promise<SinkOutcome> {
  if (signal?.aborted === true) return { key: entry.key, ok: false, error: 'aborted before it was acted on', retryable: true }
  const unsafe = unsafeKeyReason(entry.key)
  if (unsafe !== undefined) return { key: entry.key, ok: false, error: unsafe, retryable: false }
  try {
    const refused = await operation(entry)
    return refused === undefined ? { key: entry.key, ok: true } : { key: entry.key, ok: false, error: refused, retryable: false }
  } catch (error) {
    if (error instanceof KeyRefused) return { key: entry.key, ok: false, error: error.message, retryable: false }
    return { key: entry.key, ok: false, error: fsErrorText(error), retryable: isRetryable(error) }
  }
}

/**
 * perKey for the directory sinks: each entry's files are opened without following a link
 * (no-follow.ts), through directories held for the call and closed when it ends.
 */
export async function perKeyFile (
  batch: readonly KeyEntry[],
  operation: (entry: KeyEntry, open: KeyFileOpener) => Promise<string | undefined>,
  signal?: AbortSignal
): Promise<SinkOutcome[]> {
  const directories = new HeldDirectories()
  try {
    return await perKey(batch, async entry => await withKeyFiles(directories, async open => await operation(entry, open)), signal)
  } finally {
    await directories.close()
  }
}
