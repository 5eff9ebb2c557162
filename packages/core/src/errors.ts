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

export interface KeydiffErrorOptions {
  cause?: unknown
}

export class KeydiffError extends Error {
  readonly code: KeydiffErrorCode

  constructor (message: string, code: KeydiffErrorCode, options: KeydiffErrorOptions = {}) {
    super(message.startsWith('[keydiff]') ? message : `[keydiff] ${message}`, options)
    this.name = 'KeydiffError'
    this.code = code
  }
}

/** A key source broke while it was being read; the run must not produce a partial answer. */
export class SourceError extends KeydiffError {
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
  constructor (message = 'the operation was aborted', options: KeydiffErrorOptions = {}) {
    super(message, 'KEYDIFF_ABORTED', options)
    this.name = 'AbortError'
  }
}

/** A lock is held by someone else; names the holder. */
export class LockHeldError extends KeydiffError {
  readonly target: string
  readonly holder: unknown

  constructor (target: string, holder: { owner?: string, host?: string, pid?: number, startedAt?: string } | undefined, options: KeydiffErrorOptions = {}) {
    const who = holder === undefined ? 'another process' : `${holder.owner ?? '?'} on ${holder.host ?? '?'} (pid ${holder.pid ?? '?'}, since ${holder.startedAt ?? '?'})`
    super(`${target} is locked by ${who}; pass force to take it over`, 'KEYDIFF_LOCK_HELD', options)
    this.name = 'LockHeldError'
    this.target = target
    this.holder = holder
  }
}

/** Wraps anything thrown by a source in a SourceError that names it, keeping the cause. */
export function asSourceError (source: string, error: unknown): KeydiffError {
  if (error instanceof KeydiffError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new SourceError(source, `reading failed: ${message}`, { cause: error })
}
