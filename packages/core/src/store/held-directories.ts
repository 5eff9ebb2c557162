import type { FileHandle } from 'node:fs/promises'

// Enough for the directories of a batch of sorted keys; few enough that four batches at a
// time stay far from the descriptor limit.
const LIMIT = 256

/**
 * The directories one sink call holds open, shared by its keys (a plan's keys are sorted, so
 * the keys of a batch mostly share their directories): each is opened once and closed when
 * the call ends. Past `limit` directories, a key opens and closes its own.
 */
export class HeldDirectories {
  private readonly handles = new Map<string, Promise<FileHandle | undefined>>()

  constructor (private readonly limit = LIMIT) {}

  /**
   * The directory named `id`, opened by `opening` the first time it is asked for; undefined
   * when it is missing. One opened here past the limit is added to `owned`, for its key to close.
   */
  async get (id: string, opening: () => Promise<FileHandle | undefined>, owned: FileHandle[]): Promise<FileHandle | undefined> {
    let handle = this.handles.get(id)
    if (handle === undefined) {
      if (this.handles.size >= this.limit) {
        const opened = await opening()
        if (opened !== undefined) owned.push(opened)
        return opened
      }
      handle = opening()
      this.handles.set(id, handle)
      // neither a missing directory nor a failure is kept: a later key may find it, or try again
      handle.then(opened => { if (opened === undefined) this.handles.delete(id) }, () => this.handles.delete(id))
    }
    return await handle
  }

  /** Closes every directory held; the call's keys are all done. */
  async close (): Promise<void> {
    const handles = [...this.handles.values()]
    this.handles.clear()
    await Promise.all(handles.map(async handle => await (await handle.catch(() => undefined))?.close()))
  }
}
