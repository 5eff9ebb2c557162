import { readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { StoreDriver } from '@keydiff/core/adapter'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { parse, TomlDate, TomlError } from 'smol-toml'
import { loadDriver } from '../drivers/load-driver.ts'
import { ConfigError, formatKeyPath, type ConfigProblem } from './config-error.ts'
import { closed, configSchema, dropDatabaseAction } from './config-schema.ts'
import { durationKeyword, durationOrUndefined } from './duration-keyword.ts'
import type { DatabaseConfig, KeydiffConfig, RunConfig } from './config-types.ts'
import { locateKey } from './locate-key.ts'

export const DEFAULT_CONFIG = 'keydiff.toml'

const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true })
ajv.addKeyword(durationKeyword)
const validate = ajv.compile<KeydiffConfig>(configSchema)

/**
 * Reads, checks and resolves a config file: TOML syntax, the schema, `${VAR}` secrets from
 * the environment, and that every store and database a run names exists. The whole file is
 * checked before any run starts, and every problem found is reported at once, each with its
 * key path and line.
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

/** The text each parsed config came from, so that a run's runtime error can name its line. */
const sources = new WeakMap<KeydiffConfig, string>()

/** Each checked config as written, before `${VAR}` was resolved, and where it came from: what a run's description carries. */
const written = new WeakMap<KeydiffConfig, WrittenConfig>()

/** A config as its file says it, `${VAR}` unresolved, with the file and the directory its relative paths start from. */
export interface WrittenConfig {
  readonly raw: unknown
  readonly file: string
  readonly baseDir: string
}

/** The config as written (secrets still `${VAR}`), for a config that parseConfig or checkConfig returned. */
export function writtenConfig (config: KeydiffConfig): WrittenConfig | undefined {
  return written.get(config)
}

/** The line of a key path (`['databases', 'main']`) in the file `config` was parsed from. */
export function configLine (config: KeydiffConfig, path: ReadonlyArray<string | number>): number | undefined {
  const text = sources.get(config)
  return text === undefined ? undefined : locateKey(text, path)
}

type Report = (path: ReadonlyArray<string | number>, message: string) => void

export async function parseConfig (text: string, file: string, env: NodeJS.ProcessEnv = process.env): Promise<KeydiffConfig> {
  let raw: unknown
  try {
    raw = parse(text)
  } catch (error) {
    if (error instanceof TomlError) throw new ConfigError(file, '', error.line, `not valid TOML: ${error.message.split('\n')[0] ?? ''}`, { cause: error })
    throw error
  }
  return await checkConfig(raw, { file, text, env, baseDir: dirname(file) })
}

export interface CheckConfigOptions {
  /** Named in problems. */
  file: string
  /** The file's text, when there is one: problems then name their lines. */
  text?: string | undefined
  env: NodeJS.ProcessEnv
  /** Relative paths and store packages are found from here. */
  baseDir: string
}

/**
 * Checks a parsed config (from a file, or a run's description) and resolves its `${VAR}`
 * secrets from `env`: the schema, each store's section against its driver's schema, each
 * run's action against its store's actions, and the names that must exist. Every problem
 * is reported at once.
 */
export async function checkConfig (raw: unknown, options: CheckConfigOptions): Promise<KeydiffConfig> {
  const { file, text } = options
  const problems: Array<ConfigProblem & { order: number }> = []
  const report: Report = (path, message) => {
    const keyPath = formatKeyPath(path)
    if (problems.some(problem => problem.keyPath === keyPath && problem.message === message)) return
    problems.push({ keyPath, line: text === undefined ? undefined : locateKey(text, path), message, order: problems.length })
  }
  if (!validate(raw)) schemaProblems(validate.errors ?? [], report)
  // The checks below read a config the schema may have refused: each looks at what it needs defensively.
  const config = substituteEnv(raw, [], options.env, report) as KeydiffConfig
  checkNames(config, report)
  // sections are checked as written, as the schema checks the rest: a `${VAR}` left unset is one problem, not two
  await checkStores(record(raw) as unknown as KeydiffConfig, options.baseDir, report)
  if (problems.length > 0) {
    problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || a.order - b.order)
    throw ConfigError.of(file, problems.map(({ keyPath, line, message }) => ({ keyPath, line, message })))
  }
  if (text !== undefined) sources.set(config, text)
  written.set(config, { raw, file, baseDir: options.baseDir })
  return config
}

// When several schema errors fall on one key, the first of these explains it best; ajv's
// reports of a failed `if` only echo the error inside it.
const PRIORITY = ['additionalProperties', 'required', 'not', 'enum', 'const', 'type', 'pattern', 'duration']

/**
 * One problem per key from ajv's errors. An unknown key explains a missing required key of
 * the same object (a misspelt key), so the missing one is then left out.
 */
function schemaProblems (errors: ErrorObject[], report: Report, prefix: ReadonlyArray<string | number> = []): void {
  const rank = (error: ErrorObject): number => {
    const index = PRIORITY.indexOf(error.keyword)
    return index < 0 ? PRIORITY.length : index
  }
  const best = new Map<string, { error: ErrorObject, path: Array<string | number>, message: string }>()
  for (const error of [...errors].filter(error => error.keyword !== 'if').sort((a, b) => rank(a) - rank(b))) {
    const described = describe(error)
    const id = JSON.stringify(described.path)
    if (!best.has(id)) best.set(id, { error, ...described })
  }
  const misspelt = new Set([...best.values()].filter(entry => entry.error.keyword === 'additionalProperties').map(entry => entry.error.instancePath))
  for (const { error, path, message } of best.values()) {
    if (error.keyword === 'required' && misspelt.has(error.instancePath)) continue
    report([...prefix, ...path], message)
  }
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

function substituteEnv (value: unknown, path: Array<string | number>, env: NodeJS.ProcessEnv, report: Report): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_PATTERN, (_, name: string) => {
      const resolved = env[name]
      if (resolved === undefined) report(path, `environment variable ${name} is not set`)
      return resolved ?? ''
    })
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, [...path, i], env, report))
  if (value instanceof Date) return value
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substituteEnv(item, [...path, key], env, report)]))
  }
  return value
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value)
const record = (value: unknown): Record<string, unknown> => isRecord(value) ? value : {}

/** What the schema cannot say: names that must exist, pairings of keys, zero grace. */
function checkNames (config: KeydiffConfig, report: Report): void {
  const stores = record(config.stores)
  const databases = record(config.databases) as Record<string, DatabaseConfig | undefined>
  const seen = new Set<string>()
  const runs: unknown[] = Array.isArray(config.runs) ? config.runs : []
  runs.forEach((entry, i) => {
    if (!isRecord(entry)) return
    const run = entry as Partial<RunConfig>
    const at = (...path: Array<string | number>): Array<string | number> => ['runs', i, ...path]
    if (typeof run.name === 'string') {
      if (seen.has(run.name)) report(at('name'), `another run is already named ${JSON.stringify(run.name)}`)
      seen.add(run.name)
    }
    const candidates = record(run.candidates)
    if (typeof candidates.store === 'string' && stores[candidates.store] === undefined) {
      report(at('candidates', 'store'), `no store named ${JSON.stringify(candidates.store)} (stores: ${Object.keys(stores).join(', ') || 'none'})`)
    }
    if ('databases' in candidates && typeof candidates.database === 'string') {
      const database = databases[candidates.database]
      if (database === undefined) report(at('candidates', 'database'), `no database named ${JSON.stringify(candidates.database)}`)
      else if (database.type !== 'mongo') report(at('candidates', 'database'), 'database names as candidates need a mongo database')
    }
    const references: unknown[] = Array.isArray(run.references) ? run.references : []
    references.forEach((item, j) => {
      if (!isRecord(item)) return
      checkReference(item, databases, (path, message) => { report(at('references', j, ...path), message) })
    })
    if (run.referencesAsOf !== undefined) {
      const time = isoTime(run.referencesAsOf)
      if (time.error !== undefined) report(at('referencesAsOf'), time.error)
      else run.referencesAsOf = time.iso
    }
    if ((typeof run.grace === 'string' || typeof run.grace === 'number') && durationOrUndefined(run.grace) === 0 && run.acknowledgeZeroGrace !== true) {
      report(at('grace'), 'a grace period of zero can delete objects whose references are being written right now; set acknowledgeZeroGrace = true if you mean it')
    }
  })
}

const compiled = new WeakMap<object, ValidateFunction>()

/** Checks a section against a closed schema of its keys, reporting under `path`. */
function checkSection (schema: { properties: Readonly<Record<string, unknown>>, required?: readonly string[] | undefined }, value: unknown, path: ReadonlyArray<string | number>, report: Report): void {
  let check = compiled.get(schema)
  if (check === undefined) {
    try {
      check = ajv.compile(closed({ type: {}, ...schema.properties }, ['type', ...(schema.required ?? [])]))
    } catch (error) {
      report([...path, 'type'], `the store driver's config schema cannot be used: ${(error as Error).message}`)
      return
    }
    compiled.set(schema, check)
  }
  if (!check(value)) schemaProblems(check.errors ?? [], report, path)
}

/**
 * Each store's section against its driver's schema (the driver loaded on first use), and each
 * run's action against the actions its candidates allow: the store driver's, drop-database for
 * database names, none for a file.
 */
async function checkStores (config: KeydiffConfig, baseDir: string, report: Report): Promise<void> {
  const drivers = new Map<string, StoreDriver>()
  for (const [name, section] of Object.entries(record(config.stores))) {
    if (!isRecord(section) || typeof section.type !== 'string' || section.type === '') continue
    let driver: StoreDriver
    try {
      driver = await loadDriver(section.type, baseDir)
    } catch (error) {
      report(['stores', name, 'type'], (error as Error).message.replace(/^\[keydiff\] /, ''))
      continue
    }
    drivers.set(name, driver)
    checkSection(driver.configSchema, section, ['stores', name], report)
  }
  const runs: unknown[] = Array.isArray(config.runs) ? config.runs : []
  runs.forEach((entry, i) => {
    if (!isRecord(entry) || !isRecord(entry.action) || typeof entry.action.type !== 'string') return
    const action = entry.action
    const type = action.type as string
    const at = ['runs', i, 'action']
    const candidates = record(entry.candidates)
    if (typeof candidates.store === 'string') {
      const driver = drivers.get(candidates.store)
      if (driver === undefined) return
      const schema = Object.hasOwn(driver.actions, type) ? driver.actions[type] : undefined
      if (schema === undefined) report([...at, 'type'], `${JSON.stringify(type)} is not an action of a ${driver.type} store (${Object.keys(driver.actions).join(', ')})`)
      else checkSection(schema, action, at, report)
    } else if ('databases' in candidates) {
      if (type !== 'drop-database') report([...at, 'type'], `${JSON.stringify(type)} is not an action of a mongo store (drop-database)`)
      else if (!ajv.validate(dropDatabaseAction, action)) schemaProblems(ajv.errors ?? [], report, at)
    } else if ('file' in candidates) {
      report([...at, 'type'], 'candidates from a file can be diffed and planned, not acted on; name a store, or leave out the action')
    }
  })
}

function checkReference (reference: Record<string, unknown>, databases: Record<string, DatabaseConfig | undefined>, report: Report): void {
  if (typeof reference.database === 'string') {
    const database = databases[reference.database]
    if (database === undefined) {
      report(['database'], `no database named ${JSON.stringify(reference.database)} (databases: ${Object.keys(databases).join(', ') || 'none'})`)
    } else if ('collection' in reference && database.type !== 'mongo') {
      report(['collection'], 'collections need a mongo database')
    } else if (('query' in reference || 'table' in reference) && database.type === 'mongo') {
      report([], 'queries and tables need a postgres or mysql database')
    }
  }
  if (typeof reference.file === 'string') {
    if (reference.template !== undefined) report(['template'], 'templates apply to database references; map file references with prefix or stripPrefix')
    const format = reference.format ?? (reference.file.endsWith('.jsonl') ? 'jsonl' : undefined)
    if (format === 'jsonl' && reference.field === undefined) report(['file'], 'JSON Lines references need the field that holds the key (field = "...")')
    // a quoted CSV field may hold a newline, so no byte offset can be trusted to start a record
    if (reference.sorted === true && (format ?? (reference.file.endsWith('.csv') ? 'csv' : 'lines')) === 'csv') report(['sorted'], 'a CSV file cannot be read by byte range (a quoted field may hold a newline); use lines or jsonl, or leave out sorted')
  }
  if (reference.onMismatch !== undefined && reference.stripPrefix === undefined) {
    report(['onMismatch'], 'says what to do with a key that lacks stripPrefix; set stripPrefix too, or leave it out')
  }
}

/**
 * `referencesAsOf` as an ISO time: a TOML offset date-time (`2026-01-31T12:00:00Z`, unquoted)
 * or a string that parses as one. A local date-time names no instant, so it is refused.
 */
function isoTime (value: unknown): { iso: string, error?: undefined } | { error: string } {
  const hint = 'must be a date-time with an offset, such as 2026-01-31T12:00:00Z'
  if (value instanceof TomlDate && (value.isLocal() || !value.isDateTime())) return { error: `${hint} (a local date or time names no instant)` }
  const time = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined
  if (time === undefined || Number.isNaN(time.getTime())) return { error: hint }
  return { iso: time.toISOString() }
}
