import { readFile } from 'node:fs/promises'
import { Ajv, type ErrorObject } from 'ajv'
import { parse, TomlDate, TomlError } from 'smol-toml'
import { ConfigError, formatKeyPath } from './config-error.ts'
import { configSchema } from './config-schema.ts'
import { durationKeyword, durationOrUndefined } from './duration-keyword.ts'
import type { KeydiffConfig, RunConfig } from './config-types.ts'
import { locateKey } from './locate-key.ts'

export const DEFAULT_CONFIG = 'keydiff.toml'

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true })
ajv.addKeyword(durationKeyword)
const validate = ajv.compile<KeydiffConfig>(configSchema)

/**
 * Reads, checks and resolves a config file: TOML syntax, the schema, `${VAR}` secrets from
 * the environment, and that every store and database a run names exists. The whole file is
 * checked before any run starts; the first problem is reported with its key path and line.
 */
export async function loadConfig (file: string, env: NodeJS.ProcessEnv = process.env): Promise<KeydiffConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new ConfigError(file, '', undefined, `cannot read the config file (${(error as NodeJS.ErrnoException).code ?? String(error)}); pass --config <file> or create ${DEFAULT_CONFIG}`, { cause: error })
  }
  return parseConfig(text, file, env)
}

export function parseConfig (text: string, file: string, env: NodeJS.ProcessEnv = process.env): KeydiffConfig {
  let raw: unknown
  try {
    raw = parse(text)
  } catch (error) {
    if (error instanceof TomlError) throw new ConfigError(file, '', error.line, `not valid TOML: ${error.message.split('\n')[0] ?? ''}`, { cause: error })
    throw error
  }
  const fail = (path: ReadonlyArray<string | number>, message: string): never => {
    throw new ConfigError(file, formatKeyPath(path), locateKey(text, path), message)
  }
  if (!validate(raw)) {
    const error = pickError(validate.errors ?? [])
    const { path, message } = describe(error)
    fail(path, message)
  }
  const config = substituteEnv(raw, [], env, fail) as KeydiffConfig
  checkNames(config, fail)
  return config
}

// An unknown key explains most other errors of its object (a misspelt required key), so it
// is reported first; ajv's reports of a failed `if` only echo the error inside it.
const PRIORITY = ['additionalProperties', 'required', 'not', 'enum', 'const', 'type', 'pattern', 'duration']

function pickError (errors: ErrorObject[]): ErrorObject {
  const useful = errors.filter(error => error.keyword !== 'if')
  const rank = (error: ErrorObject): number => {
    const index = PRIORITY.indexOf(error.keyword)
    return index < 0 ? PRIORITY.length : index
  }
  return [...useful].sort((a, b) => rank(a) - rank(b))[0] ?? errors[0] as ErrorObject
}

function describe (error: ErrorObject): { path: Array<string | number>, message: string } {
  const path = error.instancePath.split('/').slice(1).map(part => {
    const unescaped = part.replaceAll('~1', '/').replaceAll('~0', '~')
    return /^\d+$/.test(unescaped) ? Number(unescaped) : unescaped
  })
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'additionalProperties':
      return { path: [...path, String(params.additionalProperty)], message: 'unknown key' }
    case 'required':
      return { path: [...path, String(params.missingProperty)], message: 'is required' }
    case 'enum':
      return { path, message: `must be one of ${(params.allowedValues as unknown[]).map(value => JSON.stringify(value)).join(', ')}` }
    case 'pattern':
    case 'duration':
      return { path, message: patternHint(path) }
    case 'not':
      return { path, message: shapeHint(path) }
    default:
      return { path, message: error.message ?? 'is not valid' }
  }
}

function patternHint (path: Array<string | number>): string {
  const last = path[path.length - 1]
  if (last === 'memory') return 'must be a size such as "256MiB" or "2GiB"'
  if (last === 'grace' || last === 'idle' || last === 'minOrphanAge') return 'must be a duration such as "24h", "30m", "7d" or 0 (a number other than 0 needs a unit: "36h")'
  if (last === 'statementTimeout') return 'must be a duration such as "1h" or "30m" (0: the server\'s own setting)'
  if (typeof last === 'string' && (last.endsWith('Timeout') || last === 'keepAlive')) return 'must be a duration above zero such as "10s" or "2m"'
  if (last === 'name') return 'must be letters, digits, ".", "_" or "-"'
  if (last === 'template') return 'must contain at least one {field}'
  return 'has the wrong format'
}

function shapeHint (path: Array<string | number>): string {
  if (path.includes('references')) return 'a reference needs one of: file; database + query; database + table + column; database + collection (and no other keys)'
  if (path.includes('candidates')) return 'candidates need one of: store (+ prefix); file; database + databases'
  return 'does not match any allowed shape'
}

const ENV_PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g

function substituteEnv (value: unknown, path: Array<string | number>, env: NodeJS.ProcessEnv, fail: (path: Array<string | number>, message: string) => never): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_PATTERN, (_, name: string) => {
      const resolved = env[name]
      if (resolved === undefined) fail(path, `environment variable ${name} is not set`)
      return resolved as string
    })
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, [...path, i], env, fail))
  if (value instanceof Date) return value
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substituteEnv(item, [...path, key], env, fail)]))
  }
  return value
}

function checkNames (config: KeydiffConfig, fail: (path: Array<string | number>, message: string) => never): void {
  const stores = config.stores ?? {}
  const databases = config.databases ?? {}
  const seen = new Set<string>()
  config.runs.forEach((run: RunConfig, i) => {
    if (seen.has(run.name)) fail(['runs', i, 'name'], `another run is already named ${JSON.stringify(run.name)}`)
    seen.add(run.name)
    const candidates = run.candidates
    if ('store' in candidates && stores[candidates.store] === undefined) {
      fail(['runs', i, 'candidates', 'store'], `no store named ${JSON.stringify(candidates.store)} (stores: ${Object.keys(stores).join(', ') || 'none'})`)
    }
    if ('databases' in candidates) {
      const database = databases[candidates.database]
      if (database === undefined) fail(['runs', i, 'candidates', 'database'], `no database named ${JSON.stringify(candidates.database)}`)
      else if (database.type !== 'mongo') fail(['runs', i, 'candidates', 'database'], 'database names as candidates need a mongo database')
    }
    run.references.forEach((reference, j) => {
      if ('database' in reference && databases[reference.database] === undefined) {
        fail(['runs', i, 'references', j, 'database'], `no database named ${JSON.stringify(reference.database)} (databases: ${Object.keys(databases).join(', ') || 'none'})`)
      }
      if ('collection' in reference && databases[reference.database]?.type !== 'mongo') fail(['runs', i, 'references', j, 'collection'], 'collections need a mongo database')
      if (('query' in reference || 'table' in reference) && databases[reference.database]?.type === 'mongo') fail(['runs', i, 'references', j], 'queries and tables need a postgres or mysql database')
    })
    const storeType = 'store' in candidates ? stores[candidates.store]?.type : 'databases' in candidates ? 'mongo' : 'file'
    const allowed: Record<string, readonly string[]> = {
      directory: ['delete', 'quarantine'],
      s3: ['delete', 'quarantine', 'tag'],
      minio: ['delete', 'tag'],
      gcs: ['delete', 'quarantine', 'release-hold', 'custom-time'],
      mongo: ['drop-database'],
      file: []
    }
    const actions = allowed[storeType ?? 'file'] ?? []
    if (run.action !== undefined && !actions.includes(run.action.type)) {
      fail(['runs', i, 'action', 'type'], actions.length === 0
        ? 'candidates from a file can be diffed and planned, not acted on; name a store, or leave out the action'
        : `${JSON.stringify(run.action.type)} is not an action of a ${storeType ?? ''} store (${actions.join(', ')})`)
    }
    if (run.referencesAsOf !== undefined) run.referencesAsOf = isoTime(run.referencesAsOf, message => fail(['runs', i, 'referencesAsOf'], message))
    if (run.grace !== undefined && durationOrUndefined(run.grace) === 0 && run.acknowledgeZeroGrace !== true) {
      fail(['runs', i, 'grace'], 'a grace period of zero can delete objects whose references are being written right now; set acknowledgeZeroGrace = true if you mean it')
    }
  })
}

/**
 * `referencesAsOf` as an ISO time: a TOML offset date-time (`2026-01-31T12:00:00Z`, unquoted)
 * or a string that parses as one. A local date-time names no instant, so it is refused.
 */
function isoTime (value: unknown, fail: (message: string) => never): string {
  const hint = 'must be a date-time with an offset, such as 2026-01-31T12:00:00Z'
  if (value instanceof TomlDate && (value.isLocal() || !value.isDateTime())) return fail(`${hint} (a local date or time names no instant)`)
  const time = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined
  if (time === undefined || Number.isNaN(time.getTime())) return fail(hint)
  return time.toISOString()
}
