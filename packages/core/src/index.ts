export {
  KeydiffError,
  SourceError,
  ParseError,
  NotSortedError,
  InvalidOptionError,
  AbortError,
  LockHeldError,
  PlanRefusedError,
  asSourceError
} from './errors.ts'
export type { KeydiffErrorCode, KeydiffErrorOptions, PlanGuard } from './errors.ts'
export { SinkError, LockError, ConnectionError, isRetryableCode, type AdapterErrorOptions } from './errors.ts'

export type { KeyEntry, KeyBatch, BatchIterable } from './keys/key-entry.ts'
export type { KeySource, KeySourceLike, UnlistedEntries } from './contracts/key-source.ts'
export { compareKeys } from './keys/compare-keys.ts'
export { checkOrder } from './keys/check-order.ts'

export { arraySource } from './sources/array-source.ts'
export type { ArraySourceOptions } from './sources/array-source.ts'
export { linesSource } from './sources/lines-source.ts'
export type { LinesSourceOptions } from './sources/lines-source.ts'
export { jsonLinesSource } from './sources/jsonl-source.ts'
export type { JsonLinesSourceOptions } from './sources/jsonl-source.ts'
export { csvSource } from './sources/csv-source.ts'
export type { CsvSourceOptions } from './sources/csv-source.ts'
export type { TextInput } from './sources/text-input.ts'
export { sortedFileSource } from './sources/sorted-file-source.ts'
export type { SortedFileSource, SortedFileSourceOptions, ByteRangeRead } from './sources/sorted-file-source.ts'
export { verifySortedFile } from './sources/verify-sorted-file.ts'
export type { VerifySortedFileOptions, SortedFileCheck } from './sources/verify-sorted-file.ts'
export type { FileIdentity, SortedFileFormat } from './sources/sorted-file-lines.ts'
// a NotSortedError (KEYDIFF_NOT_SORTED) that also names the file, line and byte offset
export type { SortedFileOrderError } from './sources/sorted-file-order-error.ts'

export { map } from './transforms/map.ts'
export type { MapOptions, KeyMapper } from './transforms/map.ts'
export { filter } from './transforms/filter.ts'
export { addPrefix, stripPrefix } from './transforms/prefix.ts'
export type { StripPrefixOptions } from './transforms/prefix.ts'
export { exclude, protectedMatcher } from './transforms/exclude.ts'
export { union } from './transforms/union.ts'


export { diff, orphans, DEFAULT_MEMORY } from './engine/diff.ts'
export type { DiffOptions, DiffMode, DiffStrategy, DiffPart, DiffStats, DiffRun } from './engine/diff-types.ts'
export type { ReferenceSet, ReferenceSetInit, ReferenceSetFactory } from './contracts/reference-set.ts'

export { parseSize, formatBytes } from './util/size.ts'
export { formatCount } from './util/count.ts'

export type { Sink, RestorableSink, SinkOutcome, SinkApplyOptions, SinkCapabilities } from './contracts/sink.ts'
export type { SourceCapabilities } from './contracts/source-capabilities.ts'
export type { Lock, LockLease, LockInfo, LockAcquireOptions } from './contracts/lock.ts'
export type { PointLookup } from './contracts/point-lookup.ts'
export type { AuditSink, ActionRecord } from './contracts/audit-sink.ts'

// Each area lists its own public names one by one in its public.ts.
export * from './bloom/public.ts'
export * from './sweep/public.ts'
export * from './spill/public.ts'
export * from './reference-index/public.ts'

export { parseStoreLocation, formatStoreLocation, canonicalScheme, canonicalAuthority, sameStore, storeContains, DEFAULT_EQUAL_SCHEMES } from './location/store-location.ts'
export type { StoreLocation, LocationEquivalences } from './location/store-location.ts'
export { referenceResolver, resolveReference } from './location/resolve-reference.ts'
export type { ReferenceDecoding, ReferenceResolverOptions, ResolvedReference } from './location/resolve-reference.ts'
export { resolveReferences, DEFAULT_MAX_CONFLICT_KEYS } from './location/resolve-references.ts'
export type { ResolveReferencesOptions, ReferenceResolution, ResolvedReferenceSource } from './location/resolve-references.ts'
export type { PrefixMismatchMode } from './location/reference-conflicts.ts'
export { InvalidReferenceError, PrefixMismatchError } from './location/reference-errors.ts'
export type { ConflictExample } from './location/reference-errors.ts'
