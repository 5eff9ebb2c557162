/** The `test` function of the runner in use (node:test's `test` fits). */
export type TestFunction = (name: string, fn: () => Promise<void>) => unknown

/** A fresh, isolated namespace made by an adapter's factory, and how to remove it. */
export interface Fixture<T> {
  readonly subject: T
  /** Removes what the factory made (bucket, schema, directory). */
  teardown?: () => Promise<void>
}
