import { createReadStream } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { createInterface } from 'node:readline'
import type { PlanHeader } from '@keydiff/core'
import { readAuditFrames } from './audit-frames.ts'

/** One plan of a run's work directory and what its applies did, from its audit log. */
export interface HistoryEntry {
  plan: string
  createdAt: string
  orphans: number
  planned: number
  plannedBytes: number
  /** The action of the applies; null when the plan was never applied (a dry run). */
  action: string | null
  done: number
  /** Bytes the applies acted on: deleted, or moved to the quarantine. */
  bytesDone: number
  failed: number
  dropped: number
}

/** The plans of one run's work directory, oldest first. */
export interface RunHistory {
  name: string
  workdir: string
  entries: HistoryEntry[]
}

const PLAN_FILE = /^plan-.*\.jsonl$/

/** The header line only: a plan's body can be millions of lines. */
async function firstLine (path: string): Promise<string | undefined> {
  const input = createReadStream(path, { encoding: 'utf8' })
  const lines = createInterface({ input, crlfDelay: Infinity })
  try {
    for await (const line of lines) return line
    return undefined
  } finally {
    lines.close()
    input.destroy()
  }
}

async function entry (path: string): Promise<HistoryEntry | undefined> {
  let header: PlanHeader
  try {
    header = JSON.parse(await firstLine(path) ?? '') as PlanHeader
  } catch {
    return undefined
  }
  if (header?.keydiff !== 'plan' || typeof header.counts !== 'object') return undefined
  const frames = await readAuditFrames(`${path}.audit.jsonl`)
  const applies = frames.ends.filter(end => end.run === 'apply' && end.plan === header.checksum)
  const sum = (field: string): number => applies.reduce((total, end) => total + (typeof end[field] === 'number' ? end[field] : 0), 0)
  const action = applies.find(end => typeof end.action === 'string')?.action as string | undefined
  return {
    plan: path,
    createdAt: header.createdAt,
    orphans: header.counts.orphans,
    planned: header.counts.planned,
    plannedBytes: header.bytes.planned,
    action: action ?? null,
    done: sum('done'),
    bytesDone: sum('bytesDone'),
    failed: sum('failed'),
    dropped: sum('dropped')
  }
}

async function runHistory (workdir: string, names: string[], last: number): Promise<RunHistory> {
  const plans = names.filter(name => PLAN_FILE.test(name)).map(name => join(workdir, name))
  const entries = (await Promise.all(plans.map(entry))).filter(found => found !== undefined)
  entries.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.plan.localeCompare(b.plan))
  return { name: basename(workdir), workdir, entries: entries.slice(-last) }
}

/**
 * The history of a run's work directory (`.keydiff/<run>`: its `plan-*.jsonl` and their
 * `*.audit.jsonl`), or of each run directory in a directory of them (`.keydiff`); empty when
 * it holds no plans. A plan file's header is read, not verified: the history describes, it
 * never acts.
 */
export async function readHistory (dir: string, last: number): Promise<RunHistory[]> {
  const names = await readdir(dir, { withFileTypes: true })
  if (names.some(found => found.isFile() && PLAN_FILE.test(found.name))) return [await runHistory(dir, names.map(found => found.name), last)]
  const runs: RunHistory[] = []
  for (const sub of names.filter(found => found.isDirectory()).map(found => found.name).sort()) {
    const inner = await readdir(join(dir, sub))
    if (inner.some(name => PLAN_FILE.test(name))) runs.push(await runHistory(join(dir, sub), inner, last))
  }
  return runs
}
