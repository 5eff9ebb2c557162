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
    const path = join(dir.path, 'work', 'lock')
    return { subject: { lock: () => lockFile({ path }) }, teardown: dir.remove }
  }
})
