import { Binary, Decimal128, Double, Int32, Long, ObjectId, UUID } from 'mongodb'
import { KeydiffError } from '@keydiff/core'

/**
 * A value held where a key was expected that has no key rendering (a sub-document, a
 * boolean, a regular expression). Names the source, the document and the path.
 */
export class UnrenderableValueError extends KeydiffError {
  readonly source: string
  readonly path: string

  constructor (source: string, documentId: unknown, path: string, value: unknown) {
    super(`${source}: document ${describeId(documentId)} holds ${describeType(value)} at ${path}, which has no key rendering (strings, ObjectIds, UUIDs, binaries, numbers and dates do)`, 'KEYDIFF_PARSE_ERROR')
    this.name = 'UnrenderableValueError'
    this.source = source
    this.path = path
  }
}

/**
 * The documented rule by which a BSON value becomes a key:
 * - string: as it is;
 * - ObjectId: 24 lowercase hex digits (`ObjectId.toHexString()`);
 * - UUID (binary subtype 4, or 3): the canonical 36-character lowercase form with hyphens;
 * - other binary: lowercase hex of its bytes;
 * - int32, int64, double, decimal128: the decimal text (`String(n)`, `Long.toString()`);
 * - date: ISO 8601 in UTC (`toISOString()`).
 * Returns undefined for values without a rendering.
 */
export function renderKey (value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (value instanceof ObjectId) return value.toHexString()
  if (value instanceof Binary) {
    if (value.sub_type === Binary.SUBTYPE_UUID || value.sub_type === Binary.SUBTYPE_UUID_OLD) {
      if (value.length() === 16) return new UUID(value.buffer).toHexString(true)
    }
    return Buffer.from(value.buffer).toString('hex')
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Long || value instanceof Decimal128) return value.toString()
  if (value instanceof Int32 || value instanceof Double) return String(value.valueOf())
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString()
  return undefined
}

const HEX24 = /^[0-9a-f]{24}$/
const UUID_FORM = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const INTEGER = /^-?(0|[1-9][0-9]{0,14})$/

/**
 * The stored values that render to `key`, for `$in` look-ups: the string itself, and an
 * ObjectId, UUID or number where the key has that form. The found documents are rendered
 * again and compared, so a loose candidate never produces a false match.
 */
export function storedForms (key: string): unknown[] {
  const forms: unknown[] = [key]
  if (HEX24.test(key)) forms.push(ObjectId.createFromHexString(key))
  if (UUID_FORM.test(key)) forms.push(new UUID(key))
  if (INTEGER.test(key)) forms.push(Number(key))
  return forms
}

/**
 * Every value at a dotted path, the way MongoDB queries see it: arrays met on the way are
 * unwound (each element followed), a numeric segment also indexes an array, and an array
 * at the end gives each of its elements. Missing and null give nothing.
 */
export function valuesAt (document: unknown, path: readonly string[]): unknown[] {
  const out: unknown[] = []
  const walk = (value: unknown, depth: number): void => {
    if (value === undefined || value === null) return
    if (depth === path.length) {
      if (Array.isArray(value)) {
        for (const element of value) if (element !== undefined && element !== null) out.push(element)
      } else {
        out.push(value)
      }
      return
    }
    const segment = path[depth] as string
    if (Array.isArray(value)) {
      if (/^[0-9]+$/.test(segment)) walk(value[Number(segment)], depth + 1)
      else for (const element of value) walk(element, depth)
      return
    }
    if (typeof value === 'object' && !isBsonValue(value)) walk((value as Record<string, unknown>)[segment], depth + 1)
  }
  walk(document, 0)
  return out
}

function isBsonValue (value: object): boolean {
  return value instanceof ObjectId || value instanceof Binary || value instanceof Date || value instanceof Long || value instanceof Decimal128
}

function describeId (id: unknown): string {
  return renderKey(id) ?? JSON.stringify(id) ?? String(id)
}

function describeType (value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') {
    const bsontype = (value as { _bsontype?: unknown })._bsontype
    return typeof bsontype === 'string' ? `a ${bsontype}` : 'a sub-document'
  }
  return `a ${typeof value}`
}
