import { InvalidOptionError } from '@keydiff/core'

/** How a binary key column (BINARY, VARBINARY, BLOB) becomes a key string. */
export type BinaryEncoding = 'hex' | 'base64' | 'utf8'

export type KeyKind = 'text' | 'binary' | 'integer'

// mysql2 column types: TINY 1, SHORT 2, LONG 3, LONGLONG 8, INT24 9, YEAR 13; strings and blobs.
const INTEGER_TYPES = new Set([1, 2, 3, 8, 9, 13])
const STRING_TYPES = new Set([15, 247, 249, 250, 251, 252, 253, 254])
const BINARY_CHARSET = 63

export function keyKind (columnType: number, characterSet: number, where: string, column: string): KeyKind {
  if (INTEGER_TYPES.has(columnType)) return 'integer'
  if (STRING_TYPES.has(columnType)) return characterSet === BINARY_CHARSET ? 'binary' : 'text'
  throw new InvalidOptionError('column', `${where}: column ${JSON.stringify(column)} has MySQL type ${columnType}; a key column must be a string, a binary string or an integer (cast it in the query)`)
}

/** What the query selects for the key: integers as decimal text, so BIGINT keeps every digit. */
export function selectExpression (kind: KeyKind, column: string): string {
  return kind === 'integer' ? `CAST(${column} AS CHAR)` : column
}

/**
 * The ordering whose byte order matches the rendered keys, or undefined when none does.
 * Text is compared as its UTF-8 bytes (no collation, no PAD SPACE), so the server sorts
 * unless the column is binary; binary rendered as hex or utf8 keeps byte order, base64 and
 * decimal integers do not.
 */
export function orderExpression (kind: KeyKind, column: string, binary: BinaryEncoding): string | undefined {
  if (kind === 'text') return `CAST(CONVERT(${column} USING utf8mb4) AS BINARY)`
  if (kind === 'binary' && binary !== 'base64') return column
  return undefined
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/** The documented rule: text as it is, integers in decimal, binary in lowercase hex, base64 or as UTF-8 text. */
export function renderKey (value: unknown, binary: BinaryEncoding): string | undefined {
  if (typeof value === 'string') return value
  if (value === null || value === undefined) return undefined
  if (Buffer.isBuffer(value)) return binary === 'utf8' ? decoder.decode(value) : value.toString(binary)
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString()
  throw new TypeError(`a key column value must be a string, a Buffer or an integer, got ${Object.prototype.toString.call(value)}; cast it to CHAR in the query`)
}

const INTEGER = /^-?(0|[1-9][0-9]{0,19})$/
const HEX = /^(?:[0-9a-f]{2})*$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** The inverse of renderKey, for look-ups; undefined when no row can render to the key. */
export function parseKey (key: string, kind: KeyKind, binary: BinaryEncoding): string | Buffer | undefined {
  if (kind === 'text') return key
  if (kind === 'integer') return INTEGER.test(key) ? key : undefined
  if (binary === 'utf8') return Buffer.from(key, 'utf8')
  if (binary === 'hex') return HEX.test(key) ? Buffer.from(key, 'hex') : undefined
  return BASE64.test(key) ? Buffer.from(key, 'base64') : undefined
}
