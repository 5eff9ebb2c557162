import type { KeySource } from '../contracts/key-source.ts'
import type { Lock } from './lock.ts'
import type { RestorableSink, Sink } from './sink.ts'

/**
 * A JSON Schema (the subset ajv reads: `type`, `properties`, `required`, `enum`, `pattern`,
 * `minimum`, ...) of the keys of a config section. Drivers may also use keydiff's
 * `duration` keyword: `{ duration: 'positive' }` for a timeout such as `"10s"`,
 * `{ duration: 'any' }` where zero is allowed. Every section is closed: a key the schema
 * does not name is reported as unknown.
 */
export interface ConfigSchema {
  readonly properties: Readonly<Record<string, Readonly<Record<string, unknown>>>>
  readonly required?: readonly string[]
}

/**
 * A store's section of a config, as the user wrote it (`[stores.x]` in keydiff.toml), with
 * `${VAR}` secrets already resolved from the environment of the process that opens it.
 */
export interface StoreSection {
  /** The driver's type (`s3`) or the package that exports it (`@keydiff/s3`). */
  readonly type: string
  readonly [key: string]: unknown
}

/** An action's section (`action = { type = "quarantine", prefix = "trash/" }`). */
export interface ActionSection {
  /** `delete`, `quarantine`, `tag`, ...: one of the driver's `actions`. */
  readonly type: string
  readonly [key: string]: unknown
}

/**
 * A slice `(after, upTo]` of the byte-ordered key space: keys greater than `after` and at
 * most `upTo`. A bound left out is open. Distributed runs list a store in such shards.
 */
export interface KeyRange {
  readonly after?: string | undefined
  readonly upTo?: string | undefined
}

/** What the process opening a store brings: nothing of it is part of a run's description. */
export interface StoreDriverContext {
  /** Where credentials and endpoints the section leaves out come from: the environment of the process that opens the store. */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Relative paths of the section are resolved against it (the config file's directory). */
  readonly baseDir: string
  /** The run's work directory, for a store that keeps its lock there. */
  readonly workdir: string
}

/** Where a store's listing starts and ends. */
export interface CandidatesOptions {
  /** Only keys under this prefix, in place of the section's own (a run's `candidates.prefix`). @default the section's prefix */
  prefix?: string | undefined
  /** Only keys in this range. */
  range?: KeyRange | undefined
  signal?: AbortSignal | undefined
}

/** Overrides of an action's section given on the command line. */
export interface SinkOverrides {
  /** Where a quarantine goes, as a location (`s3://bucket/trash/`) or, for a directory store, a path. */
  trash?: string | undefined
}

/** A store opened from its section: every part a run needs, each made on demand. */
export interface OpenedStore {
  /**
   * The store's location for the listed prefix, as plans bind it and sinks name it:
   * `s3://bucket/prefix`, `gs://bucket/`, `file:///root`. References resolve against it.
   */
  location: (prefix?: string) => string
  /** The keys of the store, sorted where the store lists in byte order. */
  candidates: (options?: CandidatesOptions) => KeySource
  /** The sink of an action of `driver.actions`; a TypeError for another. */
  sink: (action: ActionSection, overrides?: SinkOverrides) => Sink
  /**
   * The sink that moves back what a quarantine moved to `trash` (a location as the audit log
   * records it); undefined when the store cannot restore. @default the quarantine's default trash
   */
  restorer?: (trash?: string) => RestorableSink
  /**
   * Where the action's quarantine lands, as a location, when it lies in the listed store:
   * later listings leave it out. Undefined for other actions.
   */
  trash?: (action: ActionSection) => string | undefined
  /**
   * Keys at which to cut the store's key space into ranges of about equal work (the shards of
   * a distributed run), distinct and in byte order: the prefixes that a listing with
   * `delimiter` reveals (`images/`, `images/2024/`), level by level, until there are at least
   * `count` or the store's depth limit is reached; fewer, or none, for a flat or small store.
   * keydiff's own work area (`.keydiff/`) is never a point. The points only balance the work:
   * ranges cut at them cover every key whatever was found. Optional: a store without it is
   * split another way (hex prefixes, an inventory, an earlier run's counts).
   */
  splitPoints?: (options: {
    /** Enough points: discovery stops descending once it has found at least this many. Required. */
    count: number
    /** What separates a key's levels; the points are the prefixes it ends. @default '/' */
    delimiter?: string | undefined
    /** Only points under this prefix, in place of the section's own (a run's `candidates.prefix`). @default the section's prefix */
    prefix?: string | undefined
    signal?: AbortSignal | undefined
  }) => Promise<string[]>
  /** One sweep per store at a time. */
  lock: () => Lock
  /**
   * A harmless request that needs the permissions of the action (an object written and
   * removed under the store's `.keydiff/`); rejects naming what the store refused. For
   * `keydiff check`.
   */
  probe: (action?: ActionSection) => Promise<void>
  /** Ends the clients the store opened; the store is not used after. */
  close: () => Promise<void>
}

/** What a driver can do beyond the required parts. */
export interface StoreDriverSupports {
  /** Ranges are listed by the store itself (`StartAfter`, `startOffset`), not filtered from a whole listing. */
  readonly rangePushdown: boolean
  /** Where the lock lives: in the store (every host sees it) or in the run's work directory (this host only). */
  readonly lock: 'store' | 'local'
}

/**
 * A kind of store as a config names it (`type = "s3"`): its config schema, its actions and
 * how to open it. An adapter package exports one as `driver`; the CLI imports the package
 * on first use, so a store from a package the CLI has never heard of needs no change to it.
 * Opening does no I/O: clients connect on first use.
 */
export interface StoreDriver<Section extends StoreSection = StoreSection> {
  /** The type a config names (`s3`); a config may also name the package. */
  readonly type: string
  /** The scheme of the locations the store's plans bind (`s3`, `gs`, `file`), so a plan finds its driver. */
  readonly scheme: string
  /** The keys of the store's section other than `type`. */
  readonly configSchema: ConfigSchema
  /** Each action the store can take, with the schema of its keys other than `type`. */
  readonly actions: Readonly<Record<string, ConfigSchema>>
  readonly supports: StoreDriverSupports
  /**
   * The section naming a location of this scheme with nothing else set (credentials and
   * endpoints then come from the environment), for a plan acted on without a config.
   */
  sectionOf?: (location: { authority: string, path: string }) => Section
  open: (section: Section, context: StoreDriverContext) => OpenedStore
}
