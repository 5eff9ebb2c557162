import { lstat, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { canHoldKey, directoryDeleteSink, directoryQuarantineSink, directorySource, type KeyEntry } from '@keydiff/core'
import { keySourceSuite, sinkSuite, type SinkFixture } from '@keydiff/core/conformance'
import { makeUnremovable, tempDirectory, writeEntries } from './store-fixture.ts'

async function exists (path: string): Promise<boolean> {
  return await lstat(path).then(() => true, () => false)
}

const supports = { failures: true, canHold: canHoldKey }

/** What a plan records of a file (through the store's own source), how a writer rewrites it, and its content. */
function changes (root: string): Pick<SinkFixture, 'planned' | 'rewrite' | 'read'> {
  const path = (key: string): string => join(root, ...key.split('/'))
  return {
    planned: async key => {
      const entries: KeyEntry[] = []
      for await (const batch of directorySource({ root })) entries.push(...batch.filter(entry => entry.key === key))
      if (entries[0] === undefined) throw new Error(`${key} is not in the store`)
      return entries[0]
    },
    rewrite: async (key, body) => { await writeFile(path(key), body) },
    read: async key => await readFile(path(key)).catch(() => undefined)
  }
}

keySourceSuite({
  test,
  name: 'directorySource',
  supports: { sorted: true },
  factory: async (entries) => {
    const dir = await tempDirectory('source')
    await writeEntries(dir.path, entries)
    return { subject: directorySource({ root: dir.path, batchSize: 300 }), teardown: dir.remove }
  }
})

sinkSuite({
  test,
  name: 'directoryDeleteSink',
  supports,
  factory: async (entries, options) => {
    const dir = await tempDirectory('delete')
    await writeEntries(dir.path, entries)
    const undo = await makeUnremovable(dir.path, options.failKeys ?? [])
    return {
      subject: {
        sink: directoryDeleteSink({ root: dir.path }),
        actedOn: async key => !await exists(join(dir.path, ...key.split('/'))),
        ...changes(dir.path)
      },
      teardown: async () => { await undo(); await dir.remove() }
    }
  }
})

sinkSuite({
  test,
  name: 'directoryQuarantineSink',
  supports,
  factory: async (entries, options) => {
    const dir = await tempDirectory('quarantine')
    const root = join(dir.path, 'store')
    const trash = join(dir.path, 'trash')
    await writeEntries(root, entries)
    const undo = await makeUnremovable(root, options.failKeys ?? [])
    return {
      subject: {
        sink: directoryQuarantineSink({ root, trash }),
        actedOn: async key => !await exists(join(root, ...key.split('/'))) && await exists(join(trash, ...key.split('/'))),
        ...changes(root)
      },
      teardown: async () => { await undo(); await dir.remove() }
    }
  }
})
