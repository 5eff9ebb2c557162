/**
 * One key and what the store knows about it. `size` (bytes) and `lastModified` are optional:
 * a reference list has neither, an object listing has both, and the sweep needs them for the
 * time fence and the byte counts.
 */
export interface KeyEntry {
  readonly key: string
  readonly size?: number
  readonly lastModified?: Date
  /** Store-specific version tag (an S3 ETag, a GCS generation), carried through to sinks. */
  readonly version?: string
}

/**
 * A batch of entries: the unit that flows between sources, transforms and the engine.
 * One `await` per key would cost more than the diff itself, so everything moves in batches
 * of a few hundred to a few thousand entries.
 */
export type KeyBatch = readonly KeyEntry[]

/** Anything that yields batches, sync or async. */
export type BatchIterable = AsyncIterable<KeyBatch> | Iterable<KeyBatch>
