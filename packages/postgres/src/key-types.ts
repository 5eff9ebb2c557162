import { InvalidOptionError } from '@keydiff/core'

/** How a bytea key column becomes a key string. */
export type BinaryEncoding = 'hex' | 'base64'

/** The key column types this package renders, by their PostgreSQL type OID. */
const KINDS: ReadonlyMap<number, KeyKind> = new Map([
  [25, 'text'], [1043, 'text'], [1042, 'text'], [19, 'text'], [705, 'text'],
  [2950, 'uuid'],
  [17, 'bytea'],
  [21, 'integer'], [23, 'integer'], [20, 'integer'], [26, 'integer']
])

export type KeyKind = 'text' | 'uuid' | 'bytea' | 'integer'

export function keyKind (typeOid: number, where: string, column: string): KeyKind {
  const kind = KINDS.get(typeOid)
  if (kind === undefined) {
    throw new InvalidOptionError('column', `${where}: column ${JSON.stringify(column)} has type oid ${typeOid}; a key column must be text, varchar, char, uuid, bytea or an integer (cast it in the query, e.g. col::text)`)
  }
  return kind
}

/**
 * Whether ordering the column in SQL gives UTF-8 byte order of the rendered keys: text under
 * COLLATE "C", uuid (compared bytewise, rendered as lowercase hex) and bytea rendered as
 * lowercase hex do; integers (numeric order) and base64 do not.
 */
export function ordersAsKeys (kind: KeyKind, binary: BinaryEncoding): boolean {
  return kind === 'text' || kind === 'uuid' || (kind === 'bytea' && binary === 'hex')
}

/** SQL ordering of the column that matches the byte order of its rendered keys. */
export function orderExpression (kind: KeyKind, column: string): string {
  return kind === 'text' ? `${column} COLLATE "C"` : column
}

/** SQL that renders the column as its key text, for COPY. */
export function renderExpression (kind: KeyKind, column: string, binary: BinaryEncoding): string {
  if (kind === 'text') return `${column}::text`
  if (kind === 'bytea') return binary === 'hex' ? `encode(${column}, 'hex')` : `translate(encode(${column}, 'base64'), E'\\n', '')`
  return `${column}::text`
}

/**
 * The documented rule, for a value as pg hands it over: text and uuid as they are (uuid in
 * lowercase), integers in decimal, bytea in lowercase hex or base64 (with padding).
 * null is no reference and yields undefined.
 */
export function renderKey (value: unknown, binary: BinaryEncoding): string | undefined {
  if (typeof value === 'string') return value
  if (value === null || value === undefined) return undefined
  if (Buffer.isBuffer(value)) return value.toString(binary)
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString()
  throw new TypeError(`a key column value must be a string, a Buffer or an integer, got ${Object.prototype.toString.call(value)}; cast it to text in the query`)
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const INTEGER = /^-?(0|[1-9][0-9]*)$/
const HEX = /^(?:[0-9a-f]{2})*$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Look-up parameter types by key column type OID, and the integer ranges that fit. */
const COLUMN_TYPES: ReadonlyMap<number, { array: string, min?: bigint, max?: bigint }> = new Map([
  [25, { array: 'text[]' }], [1043, { array: 'varchar[]' }], [1042, { array: 'bpchar[]' }], [19, { array: 'name[]' }], [705, { array: 'text[]' }],
  [2950, { array: 'uuid[]' }],
  [17, { array: 'bytea[]' }],
  [21, { array: 'int2[]', min: -(2n ** 15n), max: 2n ** 15n - 1n }],
  [23, { array: 'int4[]', min: -(2n ** 31n), max: 2n ** 31n - 1n }],
  [20, { array: 'int8[]', min: -(2n ** 63n), max: 2n ** 63n - 1n }],
  [26, { array: 'oid[]', min: 0n, max: 2n ** 32n - 1n }]
])

/** The array type a look-up parameter is cast to, so the column's own index serves it. */
export function arrayCast (typeOid: number): string {
  return COLUMN_TYPES.get(typeOid)?.array ?? 'text[]'
}

/**
 * The inverse of renderKey, for look-ups: the column value a key stands for, or undefined
 * when no row can render to that key (so it cannot be referenced).
 */
export function parseKey (key: string, typeOid: number, binary: BinaryEncoding): string | Buffer | undefined {
  const kind = KINDS.get(typeOid)
  switch (kind) {
    case undefined:
    case 'text': return key
    case 'uuid': return UUID.test(key) ? key : undefined
    case 'integer': {
      if (!INTEGER.test(key)) return undefined
      const range = COLUMN_TYPES.get(typeOid)
      const value = BigInt(key)
      return range?.min !== undefined && range.max !== undefined && (value < range.min || value > range.max) ? undefined : key
    }
    case 'bytea':
      if (binary === 'hex') return HEX.test(key) ? Buffer.from(key, 'hex') : undefined
      return BASE64.test(key) ? Buffer.from(key, 'base64') : undefined
  }
}
