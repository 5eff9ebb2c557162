import { statSync } from 'node:fs'
import type { BatchIterable } from '../keys/key-entry.ts'
import { keySource, type KeySourceInit } from '../keys/key-source.ts'
import type { KeySource } from '../contracts/key-source.ts'
import type { TextInput } from './text-input.ts'

/** When the references of a file were true, and where that time comes from (KeySource.scanBasis). */
export interface FileFence {
  at: Date
  basis: 'read started' | 'file modified'
}

/**
 * The fence of a read starting now: a file of references is an export, true when it was
 * last written, so the earlier of now and its modification time (a file dated in the future
 * counts from now). A stream (standard input) says nothing of its age: now.
 */
export function fileFence (input: TextInput): FileFence {
  const now = new Date()
  if (typeof input !== 'string') return { at: now, basis: 'read started' }
  let modified: Date
  try {
    modified = statSync(input).mtime
  } catch {
    // the read that follows fails, naming the file
    return { at: now, basis: 'read started' }
  }
  return modified.getTime() < now.getTime() ? { at: modified, basis: 'file modified' } : { at: now, basis: 'read started' }
}

/** Sets a file source's scan start and basis from fileFence, as its read starts. */
export function markFileFence (source: KeySource, input: TextInput): Date {
  const fence = fileFence(input)
  Object.assign(source, { scanStartedAt: fence.at, scanBasis: fence.basis })
  return fence.at
}

/** keySource for a source that reads a TextInput: its scan start is the input's fileFence. */
export function fileKeySource (input: TextInput, batches: () => BatchIterable, init: Omit<KeySourceInit, 'scanStartedAt'>): KeySource {
  const source: KeySource = keySource(batches, { ...init, scanStartedAt: () => markFileFence(source, input) })
  return source
}
