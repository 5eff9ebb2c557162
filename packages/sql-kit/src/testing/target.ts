import { after, before } from 'node:test'
import type { AuditSink, KeySource, Lock, PointLookup } from '@keydiff/core'

/** A table the shared tests made, as the adapter's factories name it and as SQL names it. */
export interface SqlTestTable {
  /** `{ table, schema }` (PostgreSQL) or `{ table }` in the test database (MySQL). */
  readonly spec: { readonly table: string, readonly schema?: string }
  /** The table's name in SQL, qualified where needed. */
  readonly sql: string
}

/** A reference source as the SQL adapters make it: built without I/O, awaitable to plan at once. */
export type TestReferencesSource = KeySource & PromiseLike<KeySource>

/** Options as the shared tests hand them to a factory; the adapter's own types are stricter. */
export type TestOptions = Record<string, unknown>

/**
 * One SQL adapter, as the shared tests drive it: its factories (taking options as users
 * give them, `client` included), a database of its own, and what differs between servers.
 */
export interface SqlTestTarget {
  /** `@keydiff/postgres`: what an option error names. */
  readonly adapter: string
  readonly factories: {
    readonly references: (options: TestOptions) => TestReferencesSource
    readonly referencesUnion: (options: TestOptions) => TestReferencesSource
    readonly lookup: (options: TestOptions) => PointLookup
    readonly lock: (options: TestOptions) => Lock
    readonly tombstones: (options: TestOptions) => AuditSink
  }
  /** The user's client on the test database. */
  readonly client: unknown
  /** Options of a scan that differ per run of the mid-stream failure test (strategies, sorted). */
  readonly scanVariants: readonly TestOptions[]
  /** A new table of one text key column `column` holding `keys`, compared byte for byte. */
  keyTable: (keys: readonly string[], column?: string) => Promise<SqlTestTable>
  /** A new table of `rows` keys `<prefix><n>`, made on the server. */
  numberedTable: (rows: number, prefix: string, column?: string) => Promise<SqlTestTable>
  insert: (table: SqlTestTable, keys: readonly string[], column?: string) => Promise<void>
  truncate: (table: SqlTestTable) => Promise<void>
  /** Ends the other sessions reading `table`; how many it ended. */
  killReaders: (table: SqlTestTable) => Promise<number>
}

/** Opens a target on a database of its own; `close` drops it. */
export type OpenTarget = () => Promise<{ target: SqlTestTarget, close: () => Promise<void> }>

/** Opens the target before the file's tests and closes it after; the getter gives it to them. */
export function targetOf (open: OpenTarget): () => SqlTestTarget {
  let opened: Awaited<ReturnType<OpenTarget>> | undefined
  before(async () => { opened = await open() })
  after(async () => { await opened?.close() })
  return () => {
    if (opened === undefined) throw new Error('the SQL test target is opened in before()')
    return opened.target
  }
}
