import { rmdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { KeySource } from '@keydiff/core'
import type { KeydiffConfig, RunConfig } from '../config/config-types.ts'
import { buildReferences } from '../run/build-references.ts'
import { buildTarget, type RunTarget } from '../run/build-store.ts'
import type { Connections } from '../run/connections.ts'

/** One line of `keydiff check`: what was tried for a run, and whether it worked. */
export interface CheckResult {
  run: string
  /** The store or source the check is about: `dir:/data`, `s3://bucket/`, `file:/refs.txt`. */
  target: string
  /** `open`, `list`, `read`, `delete`, `quarantine`, `tag`, `lock`… */
  check: string
  ok: boolean
  /** Why it failed; undefined when it passed. */
  reason?: string
}

export interface CheckRunOptions {
  config: KeydiffConfig
  connections: Connections
  baseDir: string
  file: string
}

/**
 * Everything one run needs, each tried with a request that changes nothing: the candidates
 * listed one page, each reference read one batch, the action's permissions probed with a
 * tiny object written and removed under `.keydiff/`, and the lock acquired and released.
 * A failure is a result, not an exception: every check of every run is reported.
 */
export async function checkRun (run: RunConfig, options: CheckRunOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = []
  const record = async (target: string, check: string, attempt: () => Promise<void>): Promise<boolean> => {
    try {
      await attempt()
      results.push({ run: run.name, target, check, ok: true })
      return true
    } catch (error) {
      results.push({ run: run.name, target, check, ok: false, reason: reasonOf(error) })
      return false
    }
  }

  const workdir = resolve(options.baseDir, run.workdir ?? join('.keydiff', run.name))
  let target: RunTarget | undefined
  const candidatesName = 'store' in run.candidates ? `stores.${run.candidates.store}` : 'database' in run.candidates ? `databases.${run.candidates.database}` : 'candidates'
  await record(candidatesName, 'open', async () => {
    target = await buildTarget({ run, stores: options.config.stores ?? {}, connections: options.connections, baseDir: options.baseDir, workdir, file: options.file })
  })
  if (target !== undefined) {
    const opened = target
    await record(opened.name, 'list', async () => { await firstBatch(opened.candidates) })
  }

  let references: Awaited<ReturnType<typeof buildReferences>> | undefined
  await record('references', 'open', async () => {
    references = await buildReferences(run, options.connections, options.baseDir, options.file, options.config)
  })
  if (references !== undefined) {
    try {
      for (const source of references.sources) await record(source.name, 'read', async () => { await firstBatch(source) })
    } finally {
      await references.release()
    }
  }

  const action = run.action
  if (target !== undefined && action !== undefined) {
    const opened = target
    const restore = await keepDirectoryAsFound(opened.name)
    if (opened.probe !== undefined) {
      const probe = opened.probe
      await record(opened.name, action.type, probe)
    }
    await record(opened.name, 'lock', async () => {
      const lease = await opened.lock.acquire({ owner: 'keydiff check' })
      await lease.release()
    })
    await restore()
  }
  return results
}

/**
 * For a directory store (`dir:<root>`), removes afterwards the `<root>/.keydiff/` that the
 * lock makes when it was not there before, so that a check leaves the store as it found it.
 */
async function keepDirectoryAsFound (target: string): Promise<() => Promise<void>> {
  if (!target.startsWith('dir:')) return async () => {}
  const directory = join(target.slice('dir:'.length), '.keydiff')
  const existed = await stat(directory).then(() => true, () => false)
  // rmdir removes only an empty directory: whatever a run put there meanwhile stays
  return async () => { if (!existed) await rmdir(directory).catch(() => {}) }
}

/** Pulls the first batch of a source and stops: `return` ends its listing or cursor. */
async function firstBatch (source: KeySource): Promise<void> {
  const batches = source[Symbol.asyncIterator]()
  try {
    await batches.next()
  } finally {
    await batches.return?.()
  }
}

/** The error's message on one line, for a table cell. */
/**
 * The error's message with what an operator looks up next: the driver's code (`ER_TABLEACCESS_DENIED_ERROR`,
 * `42501`) or the HTTP status a store answered (GCS's `code`, the AWS SDK's `$metadata`), which tells a
 * missing permission (403) from a missing bucket (404).
 */
function reasonOf (error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const fields = error as { code?: unknown, $metadata?: { httpStatusCode?: unknown } } | undefined
  const flat = message.replace(/\s*\n\s*/g, ' ').trim()
  const code = fields?.code
  if (typeof code === 'string' && !flat.includes(code) && !code.startsWith('KEYDIFF_')) return `${flat} (${code})`
  const status = typeof code === 'number' ? code : fields?.$metadata?.httpStatusCode
  return typeof status === 'number' && status >= 400 && !flat.includes(String(status)) ? `${flat} (HTTP ${status})` : flat
}
