import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { lockFile } from '@keydiff/core'
import { lockSuite } from '@keydiff/core/conformance'
import { tempDirectory } from './store-fixture.ts'

lockSuite({
  test,
  name: 'lockFile',
  factory: async () => {
    const dir = await tempDirectory('lock')
    const work = join(dir.path, 'work')
    await mkdir(work)
    return {
      subject: {
        lock: () => lockFile({ path: join(work, 'lock') }),
        // The work directory becomes a regular file: nothing under it can be read or written.
        break: async () => {
          await rename(work, `${work}.gone`)
          await writeFile(work, 'not a directory')
        }
      },
      teardown: dir.remove
    }
  }
})
