import { InvalidOptionError } from '@keydiff/core'
import { renderKey, storedForms, UnrenderableValueError, valuesAt } from './render-key.ts'

/**
 * How keys are read from a document: one dotted field path, or a template over several
 * (`{datastoreTypeId}-{datastoreId}`). Arrays are unwound; a template over array fields
 * gives every combination.
 */
export interface KeyShape {
  /** The field paths read, in template order. */
  readonly paths: readonly string[]
  /** The keys of one document (none when a field is missing or null). */
  keysOf: (document: Record<string, unknown>, source: string) => string[]
  /** A filter matching documents that may hold any of `keys` (checked again by `keysOf`). */
  lookupFilter: (keys: readonly string[]) => Record<string, unknown>
}

const PLACEHOLDER = /\{([^{}]+)\}/g

export function keyShape (options: { field?: string | undefined, template?: string | undefined }): KeyShape {
  const { field, template } = options
  if ((field === undefined) === (template === undefined)) throw new InvalidOptionError('field', 'give exactly one of field and template')
  if (field !== undefined) {
    checkPath('field', field)
    const segments = field.split('.')
    return {
      paths: [field],
      keysOf: (document, source) => valuesAt(document, segments).map(value => render(value, document, field, source)),
      lookupFilter: keys => ({ [field]: { $in: keys.flatMap(storedForms) } })
    }
  }
  return templateShape(template as string)
}

function templateShape (template: string): KeyShape {
  const literals: string[] = []
  const paths: string[] = []
  let last = 0
  for (const match of template.matchAll(PLACEHOLDER)) {
    literals.push(template.slice(last, match.index))
    const path = (match[1] as string).trim()
    checkPath('template', path)
    paths.push(path)
    last = match.index + match[0].length
  }
  literals.push(template.slice(last))
  if (paths.length === 0) throw new InvalidOptionError('template', `${JSON.stringify(template)} names no field; write fields in braces, e.g. "{type}-{id}"`)
  if (literals.slice(1, -1).some(literal => literal === '')) throw new InvalidOptionError('template', `${JSON.stringify(template)}: two fields without a separator between them cannot be looked up again`)
  const segments = paths.map(path => path.split('.'))

  const keysOf = (document: Record<string, unknown>, source: string): string[] => {
    let partials = [literals[0] as string]
    for (let i = 0; i < paths.length; i++) {
      const rendered = valuesAt(document, segments[i] as string[]).map(value => render(value, document, paths[i] as string, source))
      if (rendered.length === 0) return []
      const next: string[] = []
      for (const partial of partials) for (const part of rendered) next.push(partial + part + (literals[i + 1] as string))
      partials = next
    }
    return partials
  }

  // A key splits back into field values at the template's separators; where a value itself
  // holds a separator, every split is asked for and the rendering check keeps the right one.
  const lookupFilter = (keys: readonly string[]): Record<string, unknown> => {
    const alternatives: Array<Record<string, unknown>> = []
    for (const key of keys) {
      for (const parts of splits(key, literals)) {
        const clause: Record<string, unknown> = {}
        paths.forEach((path, i) => { clause[path] = { $in: storedForms(parts[i] as string) } })
        alternatives.push(clause)
      }
    }
    return alternatives.length === 0 ? { _id: { $in: [] } } : { $or: alternatives }
  }
  return { paths, keysOf, lookupFilter }
}

/** Every way `key` reads as literals[0] v0 literals[1] v1 ... literals[n]. */
function splits (key: string, literals: readonly string[]): string[][] {
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
    for (let at = rest.indexOf(separator); at !== -1 && out.length < 64; at = rest.indexOf(separator, at + 1)) {
      walk(rest.slice(at + separator.length), index + 1, [...parts, rest.slice(0, at)])
    }
  }
  walk(body, 1, [])
  return out
}

function render (value: unknown, document: Record<string, unknown>, path: string, source: string): string {
  const key = renderKey(value)
  if (key === undefined) throw new UnrenderableValueError(source, document._id, path, value)
  return key
}

function checkPath (option: string, path: string): void {
  if (path === '' || path.startsWith('$') || path.split('.').some(segment => segment === '')) {
    throw new InvalidOptionError(option, `${JSON.stringify(path)} is not a field path; write fields as "a", "a.b" or "items.key"`)
  }
}
