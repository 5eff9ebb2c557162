/**
 * A reference source that can answer point look-ups (SQL, MongoDB): the sweep re-checks a
 * plan's keys right before acting, and drops those that became referenced.
 */
export interface PointLookup {
  readonly name: string
  /** The subset of `keys` that is referenced now. Keys are storage keys, as in the plan. */
  has: (keys: readonly string[]) => Promise<ReadonlySet<string>>
}
