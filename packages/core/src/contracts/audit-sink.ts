/** What an apply or a restore did with one key, as billing and audits need it. */
export interface ActionRecord {
  readonly key: string
  readonly size?: number | undefined
  /** The sink's action: `delete`, `quarantine`, `tag`, `restore`, ... */
  readonly action: string
  readonly ok: boolean
  /** Why the key failed, when `ok` is false. */
  readonly error?: string | undefined
  /** @default now */
  readonly at?: Date | undefined
}

/**
 * A second record of what a sweep did, beside its audit log (a table for billing, a topic
 * for a data catalogue). `apply` and `restore` write each batch's keys acted on and failed
 * to every audit sink after the batch; keys dropped by the re-check were not acted on and
 * are not written. A sink that throws stops the run, since going on would act on keys it
 * does not record; the audit log still holds every batch up to there.
 */
export interface AuditSink {
  /** Names it in errors: `postgres://db:5432/app table keydiff_tombstones`. */
  readonly name: string
  write: (records: readonly ActionRecord[]) => Promise<void>
}
