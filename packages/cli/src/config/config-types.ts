import type { ActionSection, StoreSection } from '@keydiff/core/adapter'

/** The `keydiff.toml` file: named stores and databases, and the runs that use them. */
export interface KeydiffConfig {
  stores?: Record<string, StoreConfig>
  databases?: Record<string, DatabaseConfig>
  runs: RunConfig[]
}

/**
 * A duration as the library reads one: a string with a unit (`"36h"`, `"7d"`, `"90m"`, `"0h"`),
 * or zero as `"0"` or `0`. A number other than zero is refused by the schema: it has no unit.
 */
export type Duration = string | number

/**
 * A store's section: `type` names its driver (a built-in type such as `"s3"`, or a package
 * that exports a driver, such as `"@keydiff/s3"`), and the driver's config schema says
 * which other keys it takes. See the driver of each type for its keys.
 */
export type StoreConfig = StoreSection

export type DatabaseConfig = PostgresDatabaseConfig | MysqlDatabaseConfig | MongoDatabaseConfig

export interface PostgresDatabaseConfig {
  type: 'postgres'
  /** `postgres://user@host:5432/db`; `${PGURL}` keeps the secret out of the file. */
  url: string
  /** Time to connect, start the session and authenticate (pg's `connectionTimeoutMillis`). @default '10s' */
  connectTimeout?: string
  /** The server cancels a statement that runs longer (`statement_timeout`); `0` leaves the server's setting. @default '1h' */
  statementTimeout?: Duration
  /** Silence after which TCP keepalive probes check the server is still there (pg's `keepAliveInitialDelayMillis`). @default '30s' */
  keepAlive?: string
}

export interface MysqlDatabaseConfig {
  type: 'mysql'
  url: string
  /** Time to connect and authenticate (mysql2's `connectTimeout`). @default '10s' */
  connectTimeout?: string
  /**
   * The server cancels a statement that runs longer (MariaDB's `max_statement_time`, MySQL's
   * `max_execution_time` for reads); `0` leaves the server's setting. @default '1h'
   */
  statementTimeout?: Duration
  /** Silence after which TCP keepalive probes check the server is still there (mysql2's `keepAliveInitialDelay`). @default '30s' */
  keepAlive?: string
}

export interface MongoDatabaseConfig {
  type: 'mongo'
  url: string
  /** Time to find a usable server and to open a connection to it (`serverSelectionTimeoutMS`, `connectTimeoutMS`). @default '10s' */
  connectTimeout?: string
  /** Time an operation may wait with nothing arriving on its socket (`socketTimeoutMS`). @default '5m' */
  requestTimeout?: string
  /** The database that holds the reference collections. */
  database?: string
}

/** Where a run's candidates come from. */
export type CandidatesConfig =
  | { store: string, prefix?: string }
  | { file: string }
  | { database: string, databases: { include?: string } }

/** One reference source; several in a run are unioned. */
export type ReferenceConfig = (
  | {
    file: string, format?: 'lines' | 'jsonl' | 'csv', field?: string, column?: string | number, prefix?: string, template?: string
    /**
     * The file's keys, as written (before `stripPrefix` and `prefix`), are in UTF-8 byte order
     * (`LC_ALL=C sort`), duplicates allowed: a distributed run checks that once and then reads
     * each shard's byte range of the file instead of the whole file. `lines` and `jsonl` only.
     * @default false
     */
    sorted?: boolean
  }
  | { database: string, query: string, prefix?: string, template?: string }
  | { database: string, table: string, column: string, where?: string, prefix?: string, template?: string }
  | { database: string, collection: string, field?: string, fields?: string[], filter?: Record<string, unknown>, prefix?: string, template?: string }
) & {
  /** `"uri"`: the source writes keys percent-encoded (Delta's log), decode every one; `"auto"`: decode only URIs. @default 'auto' */
  decode?: 'uri' | 'auto'
  /**
   * Removed from the start of every key the source reads, before `prefix` is added: URLs of
   * another shape than the store's location (`"https://cdn.example.com/"`) become store keys.
   * `s3://bucket/…` and `gs://bucket/…` URIs of the run's own store resolve without it.
   * @default none: keys are read as written
   */
  stripPrefix?: string
  /**
   * A key that does not start with `stripPrefix`: `"error"` fails the run naming the reference
   * (a dropped key could make a live object look orphaned), `"drop"` skips it, `"keep"` passes
   * it on as written. Only with `stripPrefix`. @default 'error'
   */
  onMismatch?: 'error' | 'drop' | 'keep'
}

/**
 * What a run does with its plan's keys: `type` is one of the actions of the store's driver
 * (`delete`, `quarantine`, `tag`, ...), the other keys its options; `drop-database` (with
 * `backup`, `idle`) for database names of a mongo database.
 */
export type ActionConfig = ActionSection

export interface RunConfig {
  name: string
  candidates: CandidatesConfig
  references: ReferenceConfig[]
  /** @default 'exact' */
  mode?: 'exact' | 'bloom'
  /** @default '256MiB' */
  memory?: string
  /** Objects younger than the reference scan's start minus this are never acted on; zero needs `acknowledgeZeroGrace`. @default '24h' */
  grace?: Duration
  /**
   * Plan an orphan only once runs found it orphaned at least this long ago and in every run
   * since (`"7d"`); first-seen times live in the run's work directory (`orphan-age/`).
   * @default none: the first run that finds an orphan may plan it
   */
  minOrphanAge?: Duration
  /** Required with a grace of zero (`0`, `"0"`, `"0h"`, ...). @default false */
  acknowledgeZeroGrace?: boolean
  /** Plan candidates that have no modification time (database names, plain listings). @default false */
  includeUndated?: boolean
  /** Globs that never enter a plan. @default [] */
  protect?: string[]
  /** Per-prefix summary depth of the plan's report. @default 1 */
  summaryDepth?: number
  /** Plan hidden names too (a segment starting with `.` or `_`, other than `_col=value`). @default true */
  protectHidden?: boolean
  /** Plan although the references are empty and the store is not. @default false */
  allowEmptyReferences?: boolean
  /** Refuse the plan when more than this share (0..1) of the references name nothing stored (exact mode; 1 turns it off). @default 0.5 */
  maxMissingShare?: number
  /** Refuse the plan when more than this share (0..1) of the stored keys would be planned (1 turns it off). @default 0.9 */
  maxOrphanShare?: number
  /** When the references were true (a TOML date-time or an ISO string): the fence counts back from it. @default the earliest read start or file modification time */
  referencesAsOf?: string
  /** A reference naming a stored key under another scheme or bucket: refuse the run, keep the object, or treat it as unreferenced. @default 'error' */
  prefixMismatch?: 'error' | 'ignore' | 'delete'
  /** Scheme aliases, alias → canonical (`{ s3a = "s3" }`), added to the defaults (s3a, s3n = s3; gcs = gs). @default {} */
  equalSchemes?: Record<string, string>
  /** Buckets or hosts that name the store, alias → canonical. @default {} */
  equalAuthorities?: Record<string, string>
  /** What to do with the plan's keys; a run without an action only plans (a dry run). */
  action?: ActionConfig
  /** Where plans, audit logs and locks live. @default '.keydiff/<run name>' */
  workdir?: string
}
