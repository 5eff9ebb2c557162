import { brandError, KeydiffError, type KeydiffErrorOptions } from '../errors.ts'

/**
 * A reference that cannot be turned into a store key: a `..` segment in a file-system path
 * (it could name anything, inside the root or out), or a malformed percent-encoding. The
 * run fails: guessing would risk treating a live object as unreferenced.
 */
export class InvalidReferenceError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.InvalidReferenceError')
  }

  /** The reference as written. */
  readonly reference: string
  /** The source it came from, once known. */
  readonly source: string | undefined
  readonly reason: string

  constructor (reference: string, reason: string, source?: string, options: KeydiffErrorOptions = {}) {
    super(`${source === undefined ? '' : `${source}: `}reference ${JSON.stringify(reference)} ${reason}`, 'KEYDIFF_PARSE_ERROR', options)
    this.name = 'InvalidReferenceError'
    this.reference = reference
    this.source = source
    this.reason = reason
  }

  /** The same error, naming the source it came from. */
  from (source: string): InvalidReferenceError {
    return new InvalidReferenceError(this.reference, this.reason, source, { cause: this.cause })
  }
}

/** A stored key that a reference to another store names, with that reference. */
export interface ConflictExample {
  key: string
  reference: string
}

/**
 * References name keys of this store under another scheme or authority (Iceberg's prefix
 * mismatch), so whether those objects are live cannot be told; or there are more such keys
 * than a run keeps in memory. `count` says how many, `examples` names a few.
 */
export class PrefixMismatchError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.PrefixMismatchError')
  }

  readonly count: number
  readonly examples: readonly ConflictExample[]

  constructor (message: string, count: number, examples: readonly ConflictExample[] = [], options: KeydiffErrorOptions = {}) {
    super(message, 'KEYDIFF_PREFIX_MISMATCH', options)
    this.name = 'PrefixMismatchError'
    this.count = count
    this.examples = examples
  }
}
