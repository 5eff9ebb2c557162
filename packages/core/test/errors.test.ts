import assert from 'node:assert/strict'
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'
import * as core from '@keydiff/core'
import {
  AbortError,
  BloomBudgetError,
  ConnectionError,
  DiskFullError,
  FilterFormatError,
  FilterShapeError,
  IndexVersionError,
  InvalidOptionError,
  InvalidReferenceError,
  isRetryableCode,
  KeydiffError,
  lockFile,
  LockError,
  LockHeldError,
  NoSpaceError,
  NotSortedError,
  OrphanAgeError,
  ParseError,
  PlanError,
  PlanRefusedError,
  PrefixMismatchError,
  SinkError,
  SourceError,
  SpillError,
  type KeydiffErrorCode
} from '@keydiff/core'

type Core = typeof core
type ClassName = { [K in keyof Core]: Core[K] extends abstract new (...args: never[]) => KeydiffError ? K : never }[keyof Core]

interface Row {
  name: ClassName
  code: KeydiffErrorCode
  /** Builds the error from a copy of core, with `cause` where the class takes one. */
  make: (from: Core, cause: unknown) => KeydiffError
  /** The message of `new Class()`, where the class has a default. */
  defaultMessage?: string
  takesCause?: false
}

// Every error class core exports, once per code it can carry.
const rows: Row[] = [
  { name: 'KeydiffError', code: 'KEYDIFF_MEMORY_EXCEEDED', make: (c, cause) => new c.KeydiffError('the set outgrew the budget', 'KEYDIFF_MEMORY_EXCEEDED', { cause }) },
  { name: 'SourceError', code: 'KEYDIFF_SOURCE_FAILED', make: (c, cause) => new c.SourceError('file:/r.txt', 'read failed', { cause }) },
  { name: 'SourceError', code: 'KEYDIFF_SOURCE_NOT_FOUND', make: (c, cause) => new c.SourceError('file:/r.txt', 'no such file', { cause, code: 'KEYDIFF_SOURCE_NOT_FOUND' }) },
  { name: 'ParseError', code: 'KEYDIFF_PARSE_ERROR', make: (c, cause) => new c.ParseError('file:/r.csv', 3, 'unclosed quote', { cause }) },
  { name: 'NotSortedError', code: 'KEYDIFF_NOT_SORTED', make: c => new c.NotSortedError('file:/r.txt', 'b', 'a'), takesCause: false },
  { name: 'InvalidOptionError', code: 'KEYDIFF_INVALID_OPTION', make: (c, cause) => new c.InvalidOptionError('memory', 'not a size', { cause }) },
  { name: 'PlanRefusedError', code: 'KEYDIFF_PLAN_REFUSED', make: (c, cause) => new c.PlanRefusedError('emptyReferences', 'allowEmptyReferences', 'no references', { cause }) },
  { name: 'AbortError', code: 'KEYDIFF_ABORTED', make: (c, cause) => new c.AbortError(undefined, { cause }), defaultMessage: '[keydiff] the operation was aborted' },
  { name: 'LockHeldError', code: 'KEYDIFF_LOCK_HELD', make: (c, cause) => new c.LockHeldError('file:/k.lock', { owner: 'o', host: 'h', pid: 1, startedAt: 'then' }, { cause }) },
  { name: 'SinkError', code: 'KEYDIFF_SINK_FAILED', make: (c, cause) => new c.SinkError('DeleteObjects failed', { adapter: 's3', target: 'delete:s3://b', cause }), defaultMessage: '[keydiff] a batch could not be acted on' },
  { name: 'LockError', code: 'KEYDIFF_LOCK_FAILED', make: (c, cause) => new c.LockError('PutObject failed', { adapter: 's3', target: 's3://b/.keydiff/lock', cause }), defaultMessage: '[keydiff] the lock\'s storage failed' },
  { name: 'ConnectionError', code: 'KEYDIFF_CONNECTION_FAILED', make: (c, cause) => new c.ConnectionError('ECONNREFUSED', { adapter: 'postgres', target: 'postgres://db:5432/app', cause }), defaultMessage: '[keydiff] the server could not be reached' },
  { name: 'InvalidReferenceError', code: 'KEYDIFF_PARSE_ERROR', make: (c, cause) => new c.InvalidReferenceError('../x', 'has a .. segment', 'refs', { cause }) },
  { name: 'PrefixMismatchError', code: 'KEYDIFF_PREFIX_MISMATCH', make: (c, cause) => new c.PrefixMismatchError('references name another scheme', 1, [{ key: 'k', reference: 's3a://b/k' }], { cause }) },
  { name: 'FilterFormatError', code: 'KEYDIFF_FILTER_FORMAT', make: (c, cause) => new c.FilterFormatError('/f.bloom', 'cut short', { cause }) },
  { name: 'FilterShapeError', code: 'KEYDIFF_FILTER_SHAPE', make: (c, cause) => new c.FilterShapeError('sizes differ', { cause }) },
  { name: 'BloomBudgetError', code: 'KEYDIFF_MEMORY_EXCEEDED', make: (c, cause) => new c.BloomBudgetError('too many references', 512 * 1048576, 1e9, { cause }) },
  { name: 'DiskFullError', code: 'KEYDIFF_DISK_FULL', make: (c, cause) => new c.DiskFullError('/tmp/spill', 10, { cause }) },
  { name: 'NoSpaceError', code: 'KEYDIFF_DISK_FULL', make: (c, cause) => new c.NoSpaceError('plan', '/p.plan', { cause }) },
  { name: 'SpillError', code: 'KEYDIFF_SPILL_FAILED', make: (c, cause) => new c.SpillError('/tmp/spill', 'EIO', { cause }) },
  { name: 'IndexVersionError', code: 'KEYDIFF_INDEX_VERSION', make: (c, cause) => new c.IndexVersionError('/idx', 'version 9', { cause }) },
  { name: 'PlanError', code: 'KEYDIFF_PLAN_INVALID', make: (c, cause) => new c.PlanError('/p.plan', 'not a plan', { cause }) },
  { name: 'PlanError', code: 'KEYDIFF_PLAN_CHECKSUM', make: (c, cause) => new c.PlanError('/p.plan', 'edited', { cause, code: 'KEYDIFF_PLAN_CHECKSUM' }) },
  { name: 'PlanError', code: 'KEYDIFF_PLAN_STORE', make: (c, cause) => new c.PlanError('/p.plan', 'another store', { cause, code: 'KEYDIFF_PLAN_STORE' }) },
  { name: 'OrphanAgeError', code: 'KEYDIFF_INDEX_VERSION', make: (c, cause) => new c.OrphanAgeError('/ages', 'damaged', { cause }) },
  { name: 'OrphanAgeError', code: 'KEYDIFF_LOCK_HELD', make: (c, cause) => new c.OrphanAgeError('/ages', 'open elsewhere', { cause, code: 'KEYDIFF_LOCK_HELD' }) }
]

const classes: Record<ClassName, abstract new (...args: never[]) => KeydiffError> = {
  KeydiffError, SourceError, ParseError, NotSortedError, InvalidOptionError, PlanRefusedError, AbortError, LockHeldError,
  SinkError, LockError, ConnectionError, InvalidReferenceError, PrefixMismatchError, FilterFormatError, FilterShapeError, BloomBudgetError,
  DiskFullError, NoSpaceError, SpillError, IndexVersionError, PlanError, OrphanAgeError
}

test('the table covers every error class core exports', () => {
  const exported = Object.entries(core).filter(([, value]) => typeof value === 'function' && (value === KeydiffError || value.prototype instanceof KeydiffError)).map(([name]) => name)
  assert.deepEqual(new Set(rows.map(row => row.name)), new Set(exported))
  assert.deepEqual(new Set(Object.keys(classes)), new Set(exported))
})

for (const row of rows) {
  test(`${row.name} (${row.code}): name, code, cause, retryable, instanceof`, () => {
    const cause = new Error('underneath')
    const error = row.make(core, cause)
    assert.equal(error.name, row.name)
    assert.equal(error.code, row.code)
    assert.equal(error.cause, row.takesCause === false ? undefined : cause)
    assert.ok(error.message.startsWith('[keydiff] '), error.message)
    assert.equal(error.retryable, isRetryableCode(row.code))
    assert.ok(error instanceof Error)
    assert.ok(error instanceof KeydiffError)
    assert.ok(error instanceof classes[row.name])
    // A sibling's brand is not this class's: only the class itself and its parents match.
    for (const [name, other] of Object.entries(classes)) {
      if (name !== row.name && name !== 'KeydiffError') assert.equal(error instanceof other, false, `${row.name} instanceof ${name}`)
    }
  })
}

test('the default messages', () => {
  for (const row of rows.filter(row => row.defaultMessage !== undefined)) {
    const Class = classes[row.name] as unknown as new () => KeydiffError
    const error = new Class()
    assert.equal(error.message, row.defaultMessage)
    assert.equal(error.code, row.code)
  }
})

test('SinkError, LockError and ConnectionError name their adapter and target', () => {
  for (const Class of [SinkError, LockError, ConnectionError]) {
    const error = new Class('it failed', { adapter: 'gcs', target: 'gs://b' })
    assert.equal(error.adapter, 'gcs')
    assert.equal(error.target, 'gs://b')
    assert.equal(error.message, '[keydiff] [gcs] gs://b: it failed')
    const bare = new Class()
    assert.equal(bare.adapter, undefined)
    assert.equal(bare.target, undefined)
  }
})

test('an adapter subclass without a brand of its own keeps instanceof by its prototype chain', () => {
  class TwinError extends SinkError {}
  const twin = new TwinError('x', { adapter: 'twin' })
  assert.ok(twin instanceof TwinError)
  assert.ok(twin instanceof SinkError)
  assert.ok(twin instanceof KeydiffError)
  assert.equal(new SinkError() instanceof TwinError, false)
  assert.equal(new KeydiffError('x', 'KEYDIFF_SINK_FAILED') instanceof SinkError, false)
})

test('look-alikes without the brand are not keydiff errors', () => {
  const lookalike = Object.assign(new Error('x'), { name: 'SinkError', code: 'KEYDIFF_SINK_FAILED' })
  assert.equal(lookalike instanceof KeydiffError, false)
  assert.equal(lookalike instanceof SinkError, false)
  for (const value of [null, undefined, 'KEYDIFF_SINK_FAILED', 1, {}]) assert.equal(value instanceof KeydiffError, false)
})

test('isRetryableCode: codes it does not know are not retryable', () => {
  assert.equal(isRetryableCode('KEYDIFF_CONNECTION_FAILED'), true)
  assert.equal(isRetryableCode('KEYDIFF_PLAN_CHECKSUM'), false)
  assert.equal(isRetryableCode('KEYDIFF_SOMETHING_NEW'), false)
  assert.equal(isRetryableCode('toString'), false)
  assert.equal(isRetryableCode('ECONNRESET'), false)
})

test('a lock file whose storage fails (its directory is a file) is a LockError naming the lock', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'keydiff-lock-failure-'))
  try {
    await writeFile(join(directory, 'not-a-directory'), '')
    const lock = lockFile({ path: join(directory, 'not-a-directory', 'lock') })
    await assert.rejects(lock.acquire({ owner: 'test' }), (error: unknown) => {
      assert.ok(error instanceof LockError)
      assert.equal(error.code, 'KEYDIFF_LOCK_FAILED')
      assert.equal(error.target, lock.target)
      assert.match(String((error.cause as NodeJS.ErrnoException).code), /^E(EXIST|NOTDIR)$/)
      return true
    })
  } finally {
    await rm(directory, { recursive: true, force: true })
  }
})

// A second copy of core, as when an adapter and the application each install their own:
// core's sources copied to a directory of their own and imported from there, so every class
// in it is a different object with a different prototype.
let copyDirectory = ''
let copy: Core

before(async () => {
  const here = fileURLToPath(new URL('.', import.meta.url))
  copyDirectory = await mkdtemp(join(tmpdir(), 'keydiff-core-copy-'))
  await cp(join(here, '../src'), join(copyDirectory, 'src'), { recursive: true })
  await symlink(join(here, '../../../node_modules'), join(copyDirectory, 'node_modules'), 'dir')
  copy = await import(pathToFileURL(join(copyDirectory, 'src/index.ts')).href) as Core
})

after(async () => {
  await rm(copyDirectory, { recursive: true, force: true })
})

test('instanceof holds across two copies of core, both ways, and only for the same class', () => {
  assert.notEqual(copy.KeydiffError, KeydiffError)
  for (const row of rows) {
    const cause = new Error('underneath')
    const fromCopy = row.make(copy, cause)
    const fromHere = row.make(core, cause)
    assert.equal(Object.getPrototypeOf(fromCopy) === Object.getPrototypeOf(fromHere), false)
    assert.ok(fromCopy instanceof KeydiffError, `${row.name} from the copy instanceof KeydiffError`)
    assert.ok(fromCopy instanceof classes[row.name], `${row.name} from the copy instanceof ${row.name}`)
    assert.ok(fromHere instanceof copy.KeydiffError, `${row.name} instanceof the copy's KeydiffError`)
    assert.ok(fromHere instanceof copy[row.name], `${row.name} instanceof the copy's ${row.name}`)
    assert.equal(fromCopy.code, row.code)
    assert.equal(fromCopy.retryable, isRetryableCode(row.code))
    for (const [name, other] of Object.entries(classes)) {
      if (name !== row.name && name !== 'KeydiffError') assert.equal(fromCopy instanceof other, false, `${row.name} from the copy instanceof ${name}`)
    }
  }
})

test('the README lists every code with whether a retry can help, as isRetryableCode says', async () => {
  const errorsSource = await readFile(new URL('../src/errors.ts', import.meta.url), 'utf8')
  const union = errorsSource.slice(errorsSource.indexOf('export type KeydiffErrorCode'), errorsSource.indexOf('\n\n', errorsSource.indexOf('export type KeydiffErrorCode')))
  const codes = [...union.matchAll(/'(KEYDIFF_[A-Z_]+)'/g)].map(match => match[1] as string)
  assert.ok(codes.length >= 23, `${codes.length} codes in the union`)
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('## Error codes'), readme.indexOf('\n## ', readme.indexOf('## Error codes') + 1))
  const listed = new Map<string, Set<string>>()
  for (const match of section.matchAll(/^\| `(KEYDIFF_[A-Z_]+)` \| ([^|]+) \| (yes|no) \|/gm)) {
    const answers = listed.get(match[1] as string) ?? new Set<string>()
    answers.add(match[3] as string)
    listed.set(match[1] as string, answers)
  }
  for (const code of codes) {
    assert.deepEqual(listed.get(code), new Set([isRetryableCode(code) ? 'yes' : 'no']), `${code} in the README's error table`)
  }
  assert.deepEqual([...listed.keys()].filter(code => !codes.includes(code)), [], 'codes in the README that the union does not have')
})

test('a held lock with a lease says when the lease runs out, so the operator can wait instead of forcing', () => {
  const leased = new LockHeldError('s3://b/.keydiff/lock', { owner: 'o', host: 'h', pid: 1, startedAt: 'then', expiresAt: '2026-12-06T12:01:00.000Z' })
  assert.match(leased.message, /its lease runs out at 2026-12-06T12:01:00\.000Z unless renewed, after which the lock is free; pass force to take it over/)
  const legacy = new LockHeldError('s3://b/.keydiff/lock', { owner: 'o', host: 'h', pid: 1, startedAt: 'then' })
  assert.doesNotMatch(legacy.message, /lease/)
})
