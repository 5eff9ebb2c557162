/**
 * What a key source's store holds and what its entries carry, declared by the adapter on the
 * source it makes (`source.supports`), as abstract-level's `db.supports` is: the conformance
 * suite reads it to choose its keys and checks, so that no test file repeats it. Whether the
 * source lists in order is `source.sorted`, not here.
 */
export interface SourceCapabilities {
  /** Entries carry the object's `size`. @default false */
  readonly sizes?: boolean
  /** Entries carry a `lastModified` date. @default false */
  readonly lastModified?: boolean
  /** Largest key, in UTF-8 bytes, the store holds. @default 1024 (the S3 limit) */
  readonly maxKeyBytes?: number
  /** Keys may hold control characters other than newlines (tab, \u0001). @default false */
  readonly controlCharacters?: boolean
  /** Keys may hold empty path segments (`a//b`, `a/`); a store that keeps keys as file paths cannot. @default true */
  readonly emptySegments?: boolean
}
