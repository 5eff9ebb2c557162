import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before } from 'node:test'
import { Storage } from '@google-cloud/storage'
import type { KeyEntry } from '@keydiff/core'
import { startGcsServer } from '../src/testing.ts'
import type { GcsTestServer } from '../src/testing.ts'

export interface TestContext {
  server: GcsTestServer
  storage: Storage
}

/**
 * Starts the GCS stand-in and a client pointed at it. The client's own retries are off so
 * that the adapter's retries are what the tests see; no credentials are looked up, because
 * the client skips authentication for a custom `apiEndpoint`.
 */
export async function startContext (): Promise<TestContext> {
  let server: GcsTestServer
  try {
    server = await startGcsServer()
  } catch (error) {
    throw new Error(`could not start the GCS test server on 127.0.0.1: ${String(error)}`, { cause: error })
  }
  const storage = new Storage({ apiEndpoint: server.endpoint, projectId: 'keydiff-test', retryOptions: { autoRetry: false } })
  return { server, storage }
}

/** A test file's stand-in and scratch directory; set before its first test. */
export interface Workspace {
  context: TestContext
  dir: string
}

/** Starts the stand-in and a scratch directory before the file's tests and removes both after them. */
export function useWorkspace (): Workspace {
  const workspace = {} as Workspace
  before(async () => {
    workspace.context = await startContext()
    workspace.dir = await mkdtemp(join(tmpdir(), 'keydiff-gcs-'))
  })
  after(async () => {
    await workspace.context?.server.close()
    if (workspace.dir !== undefined) await rm(workspace.dir, { recursive: true, force: true })
  })
  return workspace
}

let buckets = 0

/** A fresh bucket holding `entries` (bodies of `size` bytes), written straight into the store. */
export function fillBucket (context: TestContext, entries: readonly KeyEntry[], options: { defaultEventBasedHold?: boolean, ageMs?: number } = {}): string {
  const name = `test-${process.pid}-${++buckets}`
  context.server.store.createBucket(name, options)
  for (const entry of entries) {
    const object = context.server.store.put(name, entry.key, Buffer.alloc(entry.size ?? 1, 97))
    if (options.ageMs !== undefined) object.timeCreated = object.updated = new Date(Date.now() - options.ageMs)
  }
  return name
}

export function removeBucket (context: TestContext, name: string): void {
  context.server.store.buckets.delete(name)
}

export function exists (context: TestContext, bucket: string, key: string): boolean {
  return context.server.store.bucket(bucket).objects.has(key)
}
