// @keydiff/core/conformance: the suites every adapter runs, kept out of the main entry so
// that node:assert and the test fixtures never reach an application's bundle.

export { keySourceSuite, awkwardKeys } from './conformance/key-source-suite.ts'
export type { KeySourceSuiteOptions, KeySourceSupports, KeySourceFactory, KeySourceFixtureOptions } from './conformance/key-source-suite.ts'
export type { TestFunction, SuiteTestContext, Fixture } from './conformance/suite-types.ts'
export { sinkSuite } from './conformance/sink-suite.ts'
export type { SinkSuiteOptions, SinkSupports, SinkFactory, SinkFixture, SinkFixtureOptions } from './conformance/sink-suite.ts'
export { lockSuite } from './conformance/lock-suite.ts'
export type { LockSuiteOptions, LockFactory, LockFixture } from './conformance/lock-suite.ts'
export { pointLookupSuite } from './conformance/point-lookup-suite.ts'
export type { PointLookupSuiteOptions, PointLookupFactory, PointLookupFixture } from './conformance/point-lookup-suite.ts'
export { splitPointsSuite } from './conformance/split-points-suite.ts'
export type { SplitPointsSuiteOptions, SplitPointsSupports, SplitPointsFactory, SplitPointsFixture } from './conformance/split-points-suite.ts'
export { startBreakableProxy } from './conformance/breakable-proxy.ts'
export type { BreakableProxy } from './conformance/breakable-proxy.ts'
export { startSilentEndpoint, assertConnectionFailed } from './conformance/silent-endpoint.ts'
export type { SilentEndpoint, ConnectionFailedExpectation } from './conformance/silent-endpoint.ts'
