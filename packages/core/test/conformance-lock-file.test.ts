import { join } from 'node:path'
import { test } from 'node:test'
import { lockFile, lockSuite } from '@keydiff/core'
import { tempDirectory } from './store-fixture.ts'

lockSuite({
  test,
  name: 'lockFile',
  factory: async () => {
    const dir = await tempDirectory('lock')
    const path = join(dir.path, 'work', 'lock')
    return { subject: { lock: () => lockFile({ path }) }, teardown: dir.remove }
  }
})
