import { join, resolve } from 'node:path'
import { directoryDeleteSink, directoryQuarantineSink, directorySource, linesSource, lockFile, parseDuration, type KeySource, type Lock, type Sink } from '@keydiff/core'
import type { ActionConfig, RunConfig, StoreConfig } from '../config/config-types.ts'
import { ConfigError } from '../config/config-error.ts'
import type { Connections } from './connections.ts'
import { directoryProbe, gcsProbe, minioProbe, s3Probe, type StoreProbe } from '../check/store-probes.ts'
import { timeoutTransport } from './timeout-transport.ts'
import { DEFAULT_TIMEOUTS, durationMs } from './timeouts.ts'

/** A run's candidates and, when it has an action, the sink and the lock for its target. */
export interface RunTarget {
  /** Names the target in locks and reports: `dir:/data`, `s3://bucket/prefix`. */
  name: string
  candidates: KeySource
  sink?: Sink
  lock: Lock
  /** A harmless write and removal under the store's `.keydiff/` that needs the action's permissions, for `keydiff check`; undefined for a file or databases. */
  probe?: StoreProbe
}

export interface TargetContext {
  run: RunConfig
  stores: Record<string, StoreConfig>
  connections: Connections
  /** Directory of the config file: relative paths are resolved against it. */
  baseDir: string
  workdir: string
  file: string
}

/** Builds the candidate source, the sink and the lock that a run's config names. */
export async function buildTarget (context: TargetContext): Promise<RunTarget> {
  const { run, baseDir, workdir } = context
  const candidates = run.candidates
  const localLock = (target: string): Lock => lockFile({ path: join(workdir, 'lock'), target })
  if ('file' in candidates) {
    const path = resolve(baseDir, candidates.file)
    return { name: `file:${path}`, candidates: linesSource(path, { name: `file:${path}` }), lock: localLock(`file:${path}`) }
  }
  if ('databases' in candidates) {
    const mongo = await import('@keydiff/mongo')
    const client = await context.connections.mongo(candidates.database)
    const name = `mongo:${candidates.database}`
    const action = run.action
    let sink: Sink | undefined
    if (action?.type === 'drop-database') {
      sink = mongo.mongoDropDatabaseSink({
        client,
        ...(action.backup === undefined ? {} : { backup: mongo.jsonLinesBackup({ directory: resolve(baseDir, action.backup) }) }),
        ...(action.idle === undefined ? {} : { idle: { window: parseDuration(action.idle, 'idle') } })
      })
    }
    return {
      name,
      candidates: mongo.mongoDatabases({ client, ...(candidates.databases.include === undefined ? {} : { include: new RegExp(candidates.databases.include) }), name }),
      ...(sink === undefined ? {} : { sink }),
      lock: mongo.mongoLock({ client, target: name })
    }
  }
  const store = context.stores[candidates.store] as StoreConfig
  const prefix = candidates.prefix
  switch (store.type) {
    case 'directory': {
      const root = resolve(baseDir, store.path)
      const name = `dir:${root}`
      return {
        name,
        candidates: directorySource({ root, ...(prefix === undefined ? {} : { prefix }) }),
        ...optionalSink(directorySink(root, run.action, baseDir)),
        lock: lockFile({ path: join(root, '.keydiff', 'lock'), target: name }),
        probe: directoryProbe(root)
      }
    }
    case 'gcs': {
      const gcs = await import('@keydiff/gcs')
      const { Storage } = await import('@google-cloud/storage')
      const storage = new Storage({
        timeout: durationMs(store.requestTimeout, DEFAULT_TIMEOUTS.request, 'requestTimeout'),
        retryOptions: { maxRetries: (store.maxAttempts ?? DEFAULT_TIMEOUTS.maxAttempts) - 1 },
        ...(store.projectId === undefined ? {} : { projectId: store.projectId }),
        ...(store.keyFilename === undefined ? {} : { keyFilename: store.keyFilename }),
        ...(store.apiEndpoint === undefined ? {} : { apiEndpoint: store.apiEndpoint })
      })
      const base = { storage, bucket: store.bucket }
      const action = run.action
      let sink: Sink | undefined
      if (action?.type === 'delete') sink = gcs.gcsDeleteSink(base)
      else if (action?.type === 'quarantine') sink = gcs.gcsQuarantineSink({ ...base, ...(action.prefix === undefined ? {} : { trashPrefix: action.prefix }), ...(action.bucket === undefined ? {} : { trashBucket: action.bucket }) })
      else if (action?.type === 'release-hold') sink = gcs.gcsReleaseHoldSink(base)
      else if (action?.type === 'custom-time') sink = gcs.gcsCustomTimeSink(base)
      const name = `gs://${store.bucket}/${prefix ?? store.prefix ?? ''}`
      return {
        name,
        candidates: gcs.gcsSource({ ...base, ...((prefix ?? store.prefix) === undefined ? {} : { prefix: prefix ?? store.prefix }) }),
        ...optionalSink(sink),
        lock: gcs.gcsLock(base),
        probe: gcsProbe(storage, store.bucket)
      }
    }
    case 's3': {
      const s3 = await import('@keydiff/s3')
      const { S3Client } = await import('@aws-sdk/client-s3')
      const client = new S3Client({
        region: store.region ?? 'us-east-1',
        maxAttempts: store.maxAttempts ?? DEFAULT_TIMEOUTS.maxAttempts,
        // socketTimeout is the SDK's idle timeout; its requestTimeout only warns unless told to throw.
        requestHandler: {
          connectionTimeout: durationMs(store.connectTimeout, DEFAULT_TIMEOUTS.connect, 'connectTimeout'),
          socketTimeout: durationMs(store.requestTimeout, DEFAULT_TIMEOUTS.request, 'requestTimeout')
        },
        ...(store.endpoint === undefined ? {} : { endpoint: store.endpoint }),
        ...(store.forcePathStyle === undefined ? {} : { forcePathStyle: store.forcePathStyle }),
        ...(store.accessKeyId === undefined || store.secretAccessKey === undefined ? {} : { credentials: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey } })
      })
      const base = { client, bucket: store.bucket }
      const action = run.action
      let sink: Sink | undefined
      if (action?.type === 'delete') sink = s3.s3DeleteSink(base)
      else if (action?.type === 'quarantine') sink = s3.s3QuarantineSink({ ...base, ...(action.prefix === undefined ? {} : { trashPrefix: action.prefix }), ...(action.bucket === undefined ? {} : { trashBucket: action.bucket }) })
      else if (action?.type === 'tag') sink = s3.s3TagSink({ ...base, ...(action.key === undefined ? {} : { tag: { key: action.key, value: action.value ?? s3.DEFAULT_TAG.value } }) })
      const listPrefix = prefix ?? store.prefix
      const name = `s3://${store.bucket}/${listPrefix ?? ''}`
      return {
        name,
        candidates: s3.s3Source({ ...base, ...(listPrefix === undefined ? {} : { prefix: listPrefix }) }),
        ...optionalSink(sink),
        lock: s3.s3Lock(base),
        probe: s3Probe(client, store.bucket, action)
      }
    }
    case 'minio': {
      const minio = await import('@keydiff/minio')
      const { Client } = await import('minio')
      const client = new Client({
        endPoint: store.endPoint,
        ...(store.port === undefined ? {} : { port: store.port }),
        useSSL: store.useSSL ?? true,
        accessKey: store.accessKey ?? '',
        secretKey: store.secretKey ?? '',
        transport: timeoutTransport(store.useSSL ?? true, durationMs(store.requestTimeout, DEFAULT_TIMEOUTS.request, 'requestTimeout'))
      })
      const base = { client, bucket: store.bucket, retries: (store.maxAttempts ?? DEFAULT_TIMEOUTS.maxAttempts) - 1 }
      const action = run.action
      let sink: Sink | undefined
      if (action?.type === 'delete') sink = minio.minioDeleteSink(base)
      else if (action?.type === 'tag') sink = minio.minioTagSink({ ...base, ...(action.key === undefined ? {} : { tag: { key: action.key, value: action.value ?? 'orphan' } }) })
      const listPrefix = prefix ?? store.prefix
      const name = `minio://${store.bucket}/${listPrefix ?? ''}`
      // The minio client has no conditional write to build a lock object on: the lock is a file in the run's work directory.
      return { name, candidates: minio.minioSource({ ...base, ...(listPrefix === undefined ? {} : { prefix: listPrefix }) }), ...optionalSink(sink), lock: localLock(name), probe: minioProbe(client, store.bucket) }
    }
  }
}

function directorySink (root: string, action: ActionConfig | undefined, baseDir: string): Sink | undefined {
  if (action === undefined) return undefined
  if (action.type === 'delete') return directoryDeleteSink({ root })
  if (action.type === 'quarantine') return directoryQuarantineSink({ root, ...(action.directory === undefined ? {} : { trash: resolve(baseDir, action.directory) }) })
  return undefined
}

function optionalSink (sink: Sink | undefined): { sink?: Sink } {
  return sink === undefined ? {} : { sink }
}
