import { InvalidOptionError, KeydiffError } from '../errors.ts'
import type { KeyEntry } from './key-entry.ts'

const FIELD = /\{([^{}]+)\}/g

/**
 * A key template such as `{location}/{schema}/{hash}`, parsed: its dotted field paths in
 * order and the literal text around them (`literals[i]` stands before `fields[i]`, the last
 * literal after the last field), so `literals.length === fields.length + 1`.
 */
export interface KeyTemplate {
  readonly template: string
  readonly fields: readonly string[]
  readonly literals: readonly string[]
}

/** Parses a template; one without a `{field}`, or with an empty path segment, is an InvalidOptionError. */
export function parseKeyTemplate (template: string, option = 'template'): KeyTemplate {
  if (typeof template !== 'string') throw new TypeError(`${option} must be a string, got ${typeof template}`)
  const literals: string[] = []
  const fields: string[] = []
  let last = 0
  for (const match of template.matchAll(FIELD)) {
    literals.push(template.slice(last, match.index))
    const field = (match[1] as string).trim()
    if (field === '' || field.split('.').some(segment => segment === '')) {
      throw new InvalidOptionError(option, `${JSON.stringify(template)}: {${match[1] as string}} is not a field path; write fields as {a}, {a.b}`)
    }
    fields.push(field)
    last = match.index + match[0].length
  }
  literals.push(template.slice(last))
  if (fields.length === 0) throw new InvalidOptionError(option, `${JSON.stringify(template)} names no field; write fields in braces, e.g. "{type}-{id}"`)
  return { template, fields, literals }
}

/**
 * The keys of a template for the values of each field (`values[i]` for `fields[i]`): every
 * combination, in order, so a field that holds several values (an array) gives several keys;
 * a field with no value gives none.
 */
export function templateKeys (template: KeyTemplate, values: ReadonlyArray<readonly string[]>): string[] {
  let partials = [template.literals[0] as string]
  for (let i = 0; i < template.fields.length; i++) {
    const options = values[i] ?? []
    if (options.length === 0) return []
    const next: string[] = []
    for (const partial of partials) for (const value of options) next.push(partial + value + (template.literals[i + 1] as string))
    partials = next
  }
  return partials
}

/**
 * Every way `key` reads as the template, as field values in template order (at most `limit`
 * readings): the inverse of rendering, for look-ups. A value that itself holds the next
 * literal makes several readings; the caller renders each found record again to keep the
 * right one.
 */
export function splitKey (template: KeyTemplate, key: string, limit = 64): string[][] {
  const { literals } = template
  const head = literals[0] as string
  const tail = literals[literals.length - 1] as string
  if (!key.startsWith(head) || !key.endsWith(tail) || key.length < head.length + tail.length) return []
  const body = key.slice(head.length, key.length - tail.length)
  const out: string[][] = []
  const walk = (rest: string, index: number, parts: string[]): void => {
    if (index === literals.length - 1) {
      out.push([...parts, rest])
      return
    }
    const separator = literals[index] as string
    for (let at = rest.indexOf(separator); at !== -1 && out.length < limit; at = rest.indexOf(separator, at + 1)) {
      walk(rest.slice(at + separator.length), index + 1, [...parts, rest.slice(0, at)])
    }
  }
  walk(body, 1, [])
  return out
}

/**
 * Renders a row (a database row, a document) into a key through a template; a dotted field
 * reads into nested objects. A missing or null field fails the source: rendering it as
 * "undefined" would invent a key and let a live object look orphaned.
 */
function renderTemplate (template: string, source: string): (row: Record<string, unknown>) => string {
  const parsed = parseKeyTemplate(template)
  const paths = parsed.fields.map(field => field.split('.'))
  return row => templateKeys(parsed, paths.map((path, i) => {
    const value = dig(row, path)
    if (value === undefined || value === null) throw new KeydiffError(`${source}: template ${JSON.stringify(template)} needs field "${parsed.fields[i] as string}", which a row does not have (row: ${JSON.stringify(row)})`, 'KEYDIFF_SOURCE_FAILED')
    return [value instanceof Date ? value.toISOString() : String(value)]
  }))[0] as string
}

/** A `mapRow` for the SQL adapters from a template and a prefix; undefined without a template. */
export function rowMapper (options: { template?: string | undefined, prefix?: string | undefined }, source: string): ((row: Record<string, unknown>) => string | KeyEntry) | undefined {
  const { template, prefix = '' } = options
  if (template === undefined) return undefined
  const render = renderTemplate(template, source)
  return row => prefix + render(row)
}

function dig (row: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = row
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}
