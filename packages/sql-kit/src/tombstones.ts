import { KeydiffError, type ActionRecord, type AuditSink } from '@keydiff/core'

export interface TombstoneTableInit {
  /** `postgres`, `mysql`: the tag of the error message. */
  adapter: string
  name: string
  /** Create the table on first write when it is missing. */
  create: boolean
  createTable: () => Promise<unknown>
  insert: (records: readonly ActionRecord[]) => Promise<unknown>
}

/**
 * A tombstones table as an AuditSink: the table created once on first write (tried again
 * after a failure), then one INSERT per batch. A failure is KEYDIFF_AUDIT_FAILED, which stops
 * the run: going on would act on keys the table does not record.
 */
export function tombstoneTable (init: TombstoneTableInit): AuditSink {
  let created: Promise<unknown> | undefined = init.create ? undefined : Promise.resolve()
  return {
    name: init.name,
    async write (records) {
      if (records.length === 0) return
      try {
        created ??= init.createTable()
        await created
        await init.insert(records)
      } catch (error) {
        if (init.create) created = undefined
        throw new KeydiffError(`[${init.adapter}] ${init.name}: writing ${records.length} tombstones failed: ${(error as Error).message}`, 'KEYDIFF_AUDIT_FAILED', { cause: error })
      }
    }
  }
}
