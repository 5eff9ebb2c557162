import { InvalidOptionError } from '@keydiff/core'
import { parseKeyTemplate, splitKey, templateKeys } from '@keydiff/core/adapter'
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

function templateShape (text: string): KeyShape {
  const template = parseKeyTemplate(text)
  for (const path of template.fields) checkPath('template', path)
  if (template.literals.slice(1, -1).some(literal => literal === '')) throw new InvalidOptionError('template', `${JSON.stringify(text)}: two fields without a separator between them cannot be looked up again`)
  const { fields: paths } = template
  const segments = paths.map(path => path.split('.'))
  return {
    paths,
    keysOf: (document, source) => templateKeys(template, segments.map((path, i) => valuesAt(document, path).map(value => render(value, document, paths[i] as string, source)))),
    // A key splits back into field values at the template's separators; where a value itself
    // holds a separator, every split is asked for and the rendering check keeps the right one.
    lookupFilter: keys => {
      const alternatives = keys.flatMap(key => splitKey(template, key).map(parts =>
        Object.fromEntries(paths.map((path, i) => [path, { $in: storedForms(parts[i] as string) }]))))
      return alternatives.length === 0 ? { _id: { $in: [] } } : { $or: alternatives }
    }
  }
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
