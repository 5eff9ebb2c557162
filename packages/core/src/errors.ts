/**
 * Every error that a user can cause carries a stable `code`. Tests and callers check the
 * code, never the message text; messages name what failed and where.
 */
export type KeydiffErrorCode =
  | 'KEYDIFF_SOURCE_FAILED'
  | 'KEYDIFF_SOURCE_NOT_FOUND'
  | 'KEYDIFF_PARSE_ERROR'
  | 'KEYDIFF_NOT_SORTED'
  | 'KEYDIFF_PREFIX_MISMATCH'
  | 'KEYDIFF_INVALID_OPTION'
  | 'KEYDIFF_MEMORY_EXCEEDED'
  | 'KEYDIFF_FILTER_FORMAT'
  | 'KEYDIFF_FILTER_SHAPE'
  | 'KEYDIFF_DISK_FULL'
  | 'KEYDIFF_SPILL_FAILED'
  | 'KEYDIFF_INDEX_VERSION'
  | 'KEYDIFF_PLAN_CHECKSUM'
  | 'KEYDIFF_PLAN_INVALID'
  | 'KEYDIFF_PLAN_STORE'
  | 'KEYDIFF_PLAN_REFUSED'
  | 'KEYDIFF_LOCK_HELD'
  | 'KEYDIFF_LOCK_FAILED'
  | 'KEYDIFF_SINK_FAILED'
  | 'KEYDIFF_ABORTED'
  | 'KEYDIFF_CONFIG_INVALID'
  | 'KEYDIFF_CONNECTION_FAILED'
  | 'KEYDIFF_AUDIT_FAILED'

/**
 * Whether running the same work again, unchanged, can succeed: what a distributed worker
 * reads to choose between retrying a job (with backoff, a bounded number of times) and
 * setting it aside for a person. `true` where the failure lies outside the inputs (a
 * server, a network, a holder that will finish); `false` where the same inputs give the
 * same verdict every time.
 */
const RETRYABLE: Readonly<Record<KeydiffErrorCode, boolean>> = {
  // A store or server broke mid-read (a reset connection, a 5xx after the adapter's own
  // retries); the data itself was fine, so a later run usually reads through.
  KEYDIFF_SOURCE_FAILED: true,
  // The file, table or bucket is not there; it will not appear by asking again.
  KEYDIFF_SOURCE_NOT_FOUND: false,
  // The same bytes parse the same way.
  KEYDIFF_PARSE_ERROR: false,
  // The source yields the same order again; it must be declared unsorted instead.
  KEYDIFF_NOT_SORTED: false,
  // The references name the same foreign scheme or authority again.
  KEYDIFF_PREFIX_MISMATCH: false,
  // The option keeps its value; someone must change it.
  KEYDIFF_INVALID_OPTION: false,
  // The same references need the same memory; the budget or the mode must change.
  KEYDIFF_MEMORY_EXCEEDED: false,
  // A filter file's bytes, and two filters' shapes, stay what they are.
  KEYDIFF_FILTER_FORMAT: false,
  KEYDIFF_FILTER_SHAPE: false,
  // Disk space is shared: other runs' spill files are removed when they end, and another
  // worker has its own disk. Nothing in the inputs is wrong.
  KEYDIFF_DISK_FULL: true,
  // Spill I/O on the local disk (EIO, a file cut short under us); a new attempt writes new
  // files. (A key longer than a spill record fails each time; bounded attempts end that.)
  KEYDIFF_SPILL_FAILED: true,
  // A kept index or ledger of another format, or damaged, reads the same next time.
  KEYDIFF_INDEX_VERSION: false,
  // An edited, truncated or foreign plan stays so; a new plan must be made.
  KEYDIFF_PLAN_CHECKSUM: false,
  KEYDIFF_PLAN_INVALID: false,
  KEYDIFF_PLAN_STORE: false,
  // The same references and store give the guard the same numbers.
  KEYDIFF_PLAN_REFUSED: false,
  // The holder finishes and releases the lock; waiting and trying again is the point.
  KEYDIFF_LOCK_HELD: true,
  // The lock's storage failed (a server error, a timeout), not the lock's logic.
  KEYDIFF_LOCK_FAILED: true,
  // A whole batch failed at the store (throttling, a timeout); acting on a plan is
  // idempotent, so the keys can be sent again.
  KEYDIFF_SINK_FAILED: true,
  // Someone asked the run to stop; running it again would go against that.
  KEYDIFF_ABORTED: false,
  // The config file says the same thing next time.
  KEYDIFF_CONFIG_INVALID: false,
  // The server did not answer or refused the connection; servers come back.
  KEYDIFF_CONNECTION_FAILED: true,
  // Writing the audit record (a file, a tombstone table) failed at its storage.
  KEYDIFF_AUDIT_FAILED: true
}

/**
 * Whether a retry can help an error with this code (see the README's error table). Codes
 * this version does not know (from a newer core, or not keydiff's at all) are not retryable.
 */
export function isRetryableCode (code: string): boolean {
  return Object.hasOwn(RETRYABLE, code) && RETRYABLE[code as KeydiffErrorCode]
}

export interface KeydiffErrorOptions {
  cause?: unknown
}

type ErrorClass = abstract new (...args: never[]) => Error

// Each branded class's brand. The map belongs to this copy of core, as does the
// `Symbol.hasInstance` that reads it, so a class is always looked up where it was branded.
const brands = new WeakMap<ErrorClass, symbol>()

/**
 * Makes `instanceof cls` hold for every object that carries the `Symbol.for(key)` brand,
 * whichever installed copy of core made it, as undici does for its errors: a process that
 * loads two copies (an adapter's and the application's) still recognises every error.
 * The brand sits on the prototype, so subclasses inherit their parents' brands.
 */
export function brandError (cls: ErrorClass, key: string): void {
  const brand = Symbol.for(key)
  Object.defineProperty(cls.prototype, brand, { value: true })
  brands.set(cls, brand)
}

export class KeydiffError extends Error {
  static {
    brandError(this, 'keydiff.error')
  }

  /**
   * A branded class checks its brand; a subclass without a brand of its own (an adapter's)
   * inherits this method and gets the ordinary prototype-chain check, not its parent's brand.
   */
  static override [Symbol.hasInstance] (value: unknown): boolean {
    const brand = brands.get(this)
    if (brand === undefined) return Function.prototype[Symbol.hasInstance].call(this, value)
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true
  }

  readonly code: KeydiffErrorCode

  constructor (message: string, code: KeydiffErrorCode, options: KeydiffErrorOptions = {}) {
    super(message.startsWith('[keydiff]') ? message : `[keydiff] ${message}`, options)
    this.name = 'KeydiffError'
    this.code = code
  }

  /** Whether running the same work again can succeed; see `isRetryableCode`. */
  get retryable (): boolean {
    return isRetryableCode(this.code)
  }
}

/** A key source broke while it was being read; the run must not produce a partial answer. */
export class SourceError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.SourceError')
  }

  /** The source's name, such as `file:/data/refs.txt`. */
  readonly source: string

  constructor (source: string, message: string, options: KeydiffErrorOptions & { code?: KeydiffErrorCode } = {}) {
    super(`${source}: ${message}`, options.code ?? 'KEYDIFF_SOURCE_FAILED', options)
    this.name = 'SourceError'
    this.source = source
  }
}

/** A record of a source could not be parsed; names the source and the line. */
export class ParseError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.ParseError')
  }

  readonly source: string
  readonly line: number

  constructor (source: string, line: number, message: string, options: KeydiffErrorOptions = {}) {
    super(`${source}:${line}: ${message}`, 'KEYDIFF_PARSE_ERROR', options)
    this.name = 'ParseError'
    this.source = source
    this.line = line
  }
}

/** A source that declared itself sorted yielded two keys out of UTF-8 byte order. */
export class NotSortedError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.NotSortedError')
  }

  readonly source: string
  readonly previous: string
  readonly key: string

  constructor (source: string, previous: string, key: string) {
    super(`${source} declared itself sorted, but ${JSON.stringify(key)} came after ${JSON.stringify(previous)} (UTF-8 byte order)`, 'KEYDIFF_NOT_SORTED')
    this.name = 'NotSortedError'
    this.source = source
    this.previous = previous
    this.key = key
  }
}

/** An option has a value that cannot be used; names the option. */
export class InvalidOptionError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.InvalidOptionError')
  }

  readonly option: string

  constructor (option: string, message: string, options: KeydiffErrorOptions = {}) {
    super(`option ${option}: ${message}`, 'KEYDIFF_INVALID_OPTION', options)
    this.name = 'InvalidOptionError'
    this.option = option
  }
}

/** Which plausibility guard refused a plan (see PlanOptions). */
export type PlanGuard = 'emptyReferences' | 'missingShare' | 'orphanShare'

/**
 * A plan was refused by a plausibility guard: the references look wrong (empty, or most of
 * them name nothing stored) or nearly the whole store would be planned. No plan file is
 * written. `override` names the option that lets the plan through.
 */
export class PlanRefusedError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.PlanRefusedError')
  }

  readonly guard: PlanGuard
  /** The option that overrides the guard: `allowEmptyReferences`, `maxMissingShare`, `maxOrphanShare` (or a CLI flag). */
  readonly override: string
  /** What the guard saw, without the hint on overriding it. */
  readonly reason: string

  /** `hint` replaces the closing `set <override> to plan anyway` (a CLI names its flag there). */
  constructor (guard: PlanGuard, override: string, reason: string, options: KeydiffErrorOptions & { hint?: string } = {}) {
    super(`plan refused by the ${guard} guard: ${reason}; ${options.hint ?? `set ${override} to plan anyway`}`, 'KEYDIFF_PLAN_REFUSED', options)
    this.name = 'PlanRefusedError'
    this.guard = guard
    this.override = override
    this.reason = reason
  }
}

/** The run was cancelled through its AbortSignal. */
export class AbortError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.AbortError')
  }

  constructor (message = 'the operation was aborted', options: KeydiffErrorOptions = {}) {
    super(message, 'KEYDIFF_ABORTED', options)
    this.name = 'AbortError'
  }
}

/** A lock is held by someone else; names the holder. */
export class LockHeldError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.LockHeldError')
  }

  readonly target: string
  readonly holder: unknown

  constructor (target: string, holder: { owner?: string, host?: string, pid?: number, startedAt?: string, expiresAt?: string } | undefined, options: KeydiffErrorOptions = {}) {
    const who = holder === undefined ? 'another process' : `${holder.owner ?? '?'} on ${holder.host ?? '?'} (pid ${holder.pid ?? '?'}, since ${holder.startedAt ?? '?'})`
    // a holder that died frees the lock when its lease runs out: waiting is the safe choice
    const until = holder?.expiresAt === undefined ? '' : `; its lease runs out at ${holder.expiresAt} unless renewed, after which the lock is free`
    super(`${target} is locked by ${who}${until}; pass force to take it over`, 'KEYDIFF_LOCK_HELD', options)
    this.name = 'LockHeldError'
    this.target = target
    this.holder = holder
  }
}

/** Where an adapter's failure happened, for SinkError, LockError and ConnectionError. */
export interface AdapterErrorOptions extends KeydiffErrorOptions {
  /** The adapter that failed, such as `s3` or `postgres`; the message starts with `[adapter]`. */
  adapter?: string
  /** What it failed on: a sink's name (`delete:s3://bucket`), a lock's target, an endpoint. */
  target?: string
}

/**
 * The failures adapters share: each names its adapter and target, and reads
 * `[adapter] target: message` with each part only when given.
 */
abstract class AdapterError extends KeydiffError {
  readonly adapter: string | undefined
  readonly target: string | undefined

  constructor (message: string, code: KeydiffErrorCode, options: AdapterErrorOptions) {
    super(`${options.adapter === undefined ? '' : `[${options.adapter}] `}${options.target === undefined ? '' : `${options.target}: `}${message}`, code, options)
    this.adapter = options.adapter
    this.target = options.target
  }
}

/** A whole sink batch could not be acted on (the store refused or did not answer the request); every key of it counts as failed. Its target is the sink's name, such as `delete:s3://bucket`. */
export class SinkError extends AdapterError {
  static {
    brandError(this, 'keydiff.error.SinkError')
  }

  constructor (message = 'a batch could not be acted on', options: AdapterErrorOptions = {}) {
    super(message, 'KEYDIFF_SINK_FAILED', options)
    this.name = 'SinkError'
  }
}

/** A lock could not be taken, read or released because its storage failed (not because someone holds it: that is LockHeldError). Its target is the lock's, such as `s3://bucket/.keydiff/lock`. */
export class LockError extends AdapterError {
  static {
    brandError(this, 'keydiff.error.LockError')
  }

  constructor (message = 'the lock\'s storage failed', options: AdapterErrorOptions = {}) {
    super(message, 'KEYDIFF_LOCK_FAILED', options)
    this.name = 'LockError'
  }
}

/** The server or endpoint did not answer, refused the connection or the credentials; its target is the endpoint (`postgres://db:5432/app`), never with a password. */
export class ConnectionError extends AdapterError {
  static {
    brandError(this, 'keydiff.error.ConnectionError')
  }

  constructor (message = 'the server could not be reached', options: AdapterErrorOptions = {}) {
    super(message, 'KEYDIFF_CONNECTION_FAILED', options)
    this.name = 'ConnectionError'
  }
}

/** Wraps anything thrown by a source in a SourceError that names it, keeping the cause. */
export function asSourceError (source: string, error: unknown): KeydiffError {
  if (error instanceof KeydiffError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new SourceError(source, `reading failed: ${message}`, { cause: error })
}
