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
const attempts = { type: 'integer', minimum: 1, maximum: 20 }

const closed = (properties: Record<string, unknown>, required: string[]): Record<string, unknown> => ({
  type: 'object', additionalProperties: false, properties, required
})

const store = {
  type: 'object',
  required: ['type'],
  properties: { type: { enum: ['directory', 's3', 'minio', 'gcs'] } },
  allOf: [
    { if: { properties: { type: { const: 'directory' } } }, then: closed({ type: {}, path: name }, ['type', 'path']) },
    { if: { properties: { type: { const: 's3' } } }, then: closed({ type: {}, bucket: name, prefix, region: name, endpoint: name, forcePathStyle: { type: 'boolean' }, accessKeyId: name, secretAccessKey: name, connectTimeout: timeout, requestTimeout: timeout, maxAttempts: attempts }, ['type', 'bucket']) },
    { if: { properties: { type: { const: 'minio' } } }, then: closed({ type: {}, bucket: name, prefix, endPoint: name, port: { type: 'integer', minimum: 1, maximum: 65535 }, useSSL: { type: 'boolean' }, accessKey: name, secretKey: name, requestTimeout: timeout, maxAttempts: attempts }, ['type', 'bucket', 'endPoint']) },
    { if: { properties: { type: { const: 'gcs' } } }, then: closed({ type: {}, bucket: name, prefix, projectId: name, keyFilename: name, apiEndpoint: name, requestTimeout: timeout, maxAttempts: attempts }, ['type', 'bucket']) }
  ]
}

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
  ['file', closed({ file: name, format: { enum: ['lines', 'jsonl', 'csv'] }, field: name, column: { type: ['string', 'integer'] }, ...mapping }, ['file'])],
  ['query', closed({ database: name, query: name, ...mapping }, ['database', 'query'])],
  ['table', closed({ database: name, table: name, column: name, where: name, ...mapping }, ['database', 'table', 'column'])],
  ['collection', closed({ database: name, collection: name, field: name, fields: { type: 'array', items: name, minItems: 1 }, filter: { type: 'object' }, ...mapping }, ['database', 'collection'])]
])

const candidates = byKey([
  ['store', closed({ store: name, prefix }, ['store'])],
  ['file', closed({ file: name }, ['file'])],
  ['databases', closed({ database: name, databases: closed({ include: name }, []) }, ['database', 'databases'])]
])

const action = {
  type: 'object',
  required: ['type'],
  properties: { type: { enum: ['delete', 'quarantine', 'tag', 'release-hold', 'custom-time', 'drop-database'] } },
  allOf: [
    { if: { properties: { type: { enum: ['delete', 'release-hold', 'custom-time'] } } }, then: closed({ type: {} }, ['type']) },
    { if: { properties: { type: { const: 'quarantine' } } }, then: closed({ type: {}, prefix: name, bucket: name, directory: name }, ['type']) },
    { if: { properties: { type: { const: 'tag' } } }, then: closed({ type: {}, key: name, value: { type: 'string' } }, ['type']) },
    { if: { properties: { type: { const: 'drop-database' } } }, then: closed({ type: {}, backup: name, idle: duration }, ['type']) }
  ]
}

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
