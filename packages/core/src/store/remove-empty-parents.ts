import { rmdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'

/** Removes the now-empty directories above a removed file, up to (not including) root. */
export async function removeEmptyParents (root: string, file: string): Promise<void> {
  const top = resolve(root)
  let directory = dirname(file)
  while (directory.length > top.length && directory.startsWith(top)) {
    try {
      await rmdir(directory)
    } catch {
      // not empty, or someone is writing into it: leave it and everything above
      return
    }
    directory = dirname(directory)
  }
}
