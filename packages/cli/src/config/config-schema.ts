/**
 * The JSON Schema of `keydiff.toml`, checked with ajv before any run starts. Every object
 * is closed (`additionalProperties: false`) so a misspelt key is an error, not a silent
 * default.
 */
const name = { type: 'string', minLength: 1 }
const prefix = { type: 'string' }
const template = { type: 'string', pattern: '\\{[^}]+\\}' }
const size = { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*([kKmMgGtT]i?[bB]?|[bB])?\\s*$' }
/** A duration as the library reads one (see duration-keyword.ts): `"36h"`, `"7d"`, `"0"`, `0`. */
const duration = { type: ['string', 'number'], duration: 'any' }
/** A network timeout: a duration that is not zero (a zero would mean waiting forever). */
const timeout = { type: ['string', 'number'], duration: 'positive' }

export const closed = (properties: Record<string, unknown>, required: string[]): Record<string, unknown> => ({
  type: 'object', additionalProperties: false, properties, required
})

/**
 * A store names its driver; the driver's own schema checks the rest of the section once the
 * driver is loaded (load-config.ts), so a store type from any package is checked the same way.
 */
const store = { type: 'object', required: ['type'], properties: { type: name } }

const database = {
  type: 'object',
  required: ['type'],
  properties: { type: { enum: ['postgres', 'mysql', 'mongo'] } },
  allOf: [
    { if: { properties: { type: { const: 'postgres' } } }, then: closed({ type: {}, url: name, connectTimeout: timeout, statementTimeout: duration, keepAlive: timeout }, ['type', 'url']) },
    { if: { properties: { type: { const: 'mysql' } } }, then: closed({ type: {}, url: name, connectTimeout: timeout, statementTimeout: duration, keepAlive: timeout }, ['type', 'url']) },
    { if: { properties: { type: { const: 'mongo' } } }, then: closed({ type: {}, url: name, database: name, connectTimeout: timeout, requestTimeout: timeout }, ['type', 'url']) }
  ]
}

const mapping = { prefix, stripPrefix: name, onMismatch: { enum: ['error', 'drop', 'keep'] }, template, decode: { enum: ['uri', 'auto'] } }
const share = { type: 'number', minimum: 0, maximum: 1 }
const aliases = { type: 'object', additionalProperties: name }

/** Picks a shape by its distinguishing key, so an error speaks of the shape the user meant. */
const byKey = (shapes: Array<[string, Record<string, unknown>]>): Record<string, unknown> => {
  let schema: Record<string, unknown> = { not: {} }
  for (const [key, shape] of [...shapes].reverse()) schema = { if: { required: [key] }, then: shape, else: schema }
  return { type: 'object', ...schema }
}

const reference = byKey([
  ['file', closed({ file: name, format: { enum: ['lines', 'jsonl', 'csv'] }, field: name, column: { type: ['string', 'integer'] }, sorted: { type: 'boolean' }, ...mapping }, ['file'])],
  ['query', closed({ database: name, query: name, ...mapping }, ['database', 'query'])],
  ['table', closed({ database: name, table: name, column: name, where: name, ...mapping }, ['database', 'table', 'column'])],
  ['collection', closed({ database: name, collection: name, field: name, fields: { type: 'array', items: name, minItems: 1 }, filter: { type: 'object' }, ...mapping }, ['database', 'collection'])]
])

const candidates = byKey([
  ['store', closed({ store: name, prefix }, ['store'])],
  ['file', closed({ file: name }, ['file'])],
  ['databases', closed({ database: name, databases: closed({ include: name }, []) }, ['database', 'databases'])]
])

/** The action's keys are checked against the store's driver (or, for database names, the drop-database action) in load-config.ts. */
const action = { type: 'object', required: ['type'], properties: { type: name } }

/** The one action on database names as candidates. */
export const dropDatabaseAction = closed({ type: {}, backup: name, idle: duration }, ['type'])

const run = closed({
  name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
  candidates,
  references: { type: 'array', items: reference, minItems: 1 },
  mode: { enum: ['exact', 'bloom'] },
  memory: size,
  grace: duration,
  minOrphanAge: duration,
  acknowledgeZeroGrace: { type: 'boolean' },
  includeUndated: { type: 'boolean' },
  protect: { type: 'array', items: name },
  summaryDepth: { type: 'integer', minimum: 0, maximum: 16 },
  protectHidden: { type: 'boolean' },
  allowEmptyReferences: { type: 'boolean' },
  maxMissingShare: share,
  maxOrphanShare: share,
  // a TOML date-time (an object once parsed) or an ISO string; load-config checks it
  referencesAsOf: { type: ['string', 'object'] },
  prefixMismatch: { enum: ['error', 'ignore', 'delete'] },
  equalSchemes: aliases,
  equalAuthorities: aliases,
  action,
  workdir: name
}, ['name', 'candidates', 'references'])

export const configSchema = closed({
  stores: { type: 'object', additionalProperties: store },
  databases: { type: 'object', additionalProperties: database },
  runs: { type: 'array', items: run, minItems: 1 }
}, ['runs'])
