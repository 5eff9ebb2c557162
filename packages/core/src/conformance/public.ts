export { keySourceSuite, awkwardKeys } from './key-source-suite.ts'
export type { KeySourceSuiteOptions, KeySourceSupports, KeySourceFactory, KeySourceFixtureOptions } from './key-source-suite.ts'
export type { TestFunction, Fixture } from './suite-types.ts'
