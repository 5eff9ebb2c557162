// @keydiff/sql-kit/testing: the tests the PostgreSQL and MySQL adapters share, each driven by
// an SqlTestTarget the adapter's test file builds.
export { sweepTests } from './testing/sweep-tests.ts'
export { referencesTests } from './testing/references-tests.ts'
export { rangeTests } from './testing/range-tests.ts'
export { collect, keysOf, isCode, orphansOf, setOrphans, whileScanning } from './testing/helpers.ts'
export type { WithChunks } from './testing/helpers.ts'
export type { SqlTestTarget, SqlTestTable, TestOptions, TestReferencesSource, OpenTarget } from './testing/target.ts'
export { packedTests } from './testing/packed-tests.ts'
export { benchReferences, reportRate, asBatches } from './testing/bench-references.ts'
export type { BenchCase, BenchReferencesInit } from './testing/bench-references.ts'
