import { test } from 'node:test'
import { directoryDriver } from '@keydiff/core/adapter'
import { splitPointsSuite } from '@keydiff/core/conformance'
import { tempDirectory, writeEntries } from './store-fixture.ts'

splitPointsSuite({
  test,
  name: 'directory store splitPoints',
  // a directory store's levels are its directories, and its root is its whole namespace
  supports: { otherDelimiters: false, sectionPrefix: false },
  factory: async keys => {
    const dir = await tempDirectory('directory-split')
    await writeEntries(dir.path, keys.map(key => ({ key })))
    return {
      subject: {
        open: () => directoryDriver.open({ type: 'directory', path: dir.path }, { env: {}, baseDir: dir.path, workdir: dir.path }),
        namespace: dir.path,
        remove: dir.remove
      },
      teardown: dir.remove
    }
  }
})
