import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidOptionError } from '../errors.ts'
import { DiskFullError } from './disk-full-error.ts'

const live = new Set<string>()
let hooked = false

function removeAll (): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true })
  live.clear()
}

// On SIGINT/SIGTERM with nobody else listening, Node would exit without running `finally`
// blocks: remove the work directories, then die of the same signal as before.
function onSignal (signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return
  removeAll()
  process.removeListener(signal, onSignal)
  process.kill(process.pid, signal)
}

function hook (): void {
  if (hooked) return
  hooked = true
  process.on('exit', removeAll)
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

/** Where spill files go, and the directory that errors name. */
export interface SpillDir {
  readonly path: string
  file: (name: string) => string
}

/** A work directory that another thread made and removes: files in it, nothing more. */
export function spillDirAt (path: string): SpillDir {
  return { path, file: name => join(path, name) }
}

/**
 * A private directory for spill files, `keydiff-spill-XXXXXX` under `parent`. It is removed
 * by `remove()`, and also when the process exits or is interrupted before that.
 */
export class WorkDir implements SpillDir {
  readonly path: string

  constructor (parent: string = tmpdir()) {
    try {
      this.path = mkdtempSync(join(parent, 'keydiff-spill-'))
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOSPC' || code === 'EDQUOT') throw new DiskFullError(parent, 0, { cause: error })
      throw new InvalidOptionError('tmpdir', `cannot make a spill directory under ${parent}: ${code ?? String(error)}`, { cause: error })
    }
    hook()
    live.add(this.path)
  }

  file (name: string): string {
    return join(this.path, name)
  }

  remove (): void {
    rmSync(this.path, { recursive: true, force: true })
    live.delete(this.path)
  }
}
