import { KeydiffError, type KeyEntry } from '@keydiff/core'

const FIELD = /\{([^{}]+)\}/g

/** The fields a template such as `{location}/{schema}/{hash}` reads. */
export function templateFields (template: string): string[] {
  return [...template.matchAll(FIELD)].map(match => match[1] as string)
}

/**
 * Renders a row into a key through a template. A missing or null field fails the source:
 * rendering it as "undefined" would invent a key and let a live object look orphaned.
 */
export function renderTemplate (template: string, source: string): (row: Record<string, unknown>) => string {
  const fields = templateFields(template)
  if (fields.length === 0) throw new TypeError(`template ${JSON.stringify(template)} has no {field}`)
  return row => template.replace(FIELD, (_, field: string) => {
    const value = dig(row, field)
    if (value === undefined || value === null) throw new KeydiffError(`${source}: template ${JSON.stringify(template)} needs field "${field}", which a row does not have (row: ${JSON.stringify(row)})`, 'KEYDIFF_SOURCE_FAILED')
    return value instanceof Date ? value.toISOString() : String(value)
  })
}

/** A mapper for the SQL adapters' `mapRow`: template and/or prefix; the key column is first. */
export function rowMapper (options: { template?: string | undefined, prefix?: string | undefined }, source: string): ((row: Record<string, unknown>) => string | KeyEntry) | undefined {
  const { template, prefix = '' } = options
  if (template === undefined) return undefined
  const render = renderTemplate(template, source)
  return row => prefix + render(row)
}

function dig (row: Record<string, unknown>, path: string): unknown {
  let value: unknown = row
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}
