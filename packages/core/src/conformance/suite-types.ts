/**
 * What a suite uses of the context its runner hands a test: `skip`, for a test that does not
 * apply to the subject at hand (node:test's and vitest's contexts have it).
 */
export interface SuiteTestContext {
  skip?: (message?: string) => void
}

/** The `test` function of the runner in use (node:test's `test` fits). */
export type TestFunction = (name: string, fn: (context: SuiteTestContext) => Promise<void>) => unknown

/** A fresh, isolated namespace made by an adapter's factory, and how to remove it. */
export interface Fixture<T> {
  readonly subject: T
  /** Removes what the factory made (bucket, schema, directory). */
  teardown?: () => Promise<void>
}
