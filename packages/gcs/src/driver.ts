import { randomBytes } from 'node:crypto'
import { Storage, type StorageOptions } from '@google-cloud/storage'
import { parseDuration, parseStoreLocation } from '@keydiff/core'
import { withinRange, type ActionSection, type StoreDriver, type StoreSection } from '@keydiff/core/adapter'
import { gcsCustomTimeSink } from './custom-time-sink.ts'
import { gcsSplitPoints } from './discover-split-points.ts'
import { gcsDeleteSink } from './delete-sink.ts'
import { gcsLock } from './gcs-lock.ts'
import { gcsSource } from './gcs-source.ts'
import { gcsQuarantineSink } from './quarantine-sink.ts'
import { gcsReleaseHoldSink } from './release-hold-sink.ts'

/** `[stores.x]` with `type = "gcs"` (or `"@keydiff/gcs"`). */
export interface GcsStoreSection extends StoreSection {
  /** Required. */
  readonly bucket: string
  /** Only objects whose names start with this. @default '' */
  readonly prefix?: string
  /** @default the client's own lookup */
  readonly projectId?: string
  /** A service account key file. @default Application Default Credentials */
  readonly keyFilename?: string
  /** Another endpoint (an emulator). @default Google's */
  readonly apiEndpoint?: string
  /** Time one API request may take (the client's `timeout`). @default '60s' */
  readonly requestTimeout?: string
  /** Attempts of one request, the first included (the client's `retryOptions.maxRetries` + 1). @default 3 */
  readonly maxAttempts?: number
}

const name = { type: 'string', minLength: 1 }
const DEFAULT_TRASH_PREFIX = '.keydiff-trash/'

/**
 * The Google Cloud Storage store: listing by `gcsSource` (a range starts at its lower bound
 * with `startOffset` and stops past its upper one), split points from the prefixes of
 * delimited listings, delete, quarantine, release-hold and
 * custom-time sinks, restore from a quarantine, and the lock object in the bucket. The
 * `Storage` client is made when the store is opened and connects on its first request.
 */
export const driver: StoreDriver<GcsStoreSection> = {
  type: 'gcs',
  scheme: 'gs',
  configSchema: {
    properties: {
      bucket: name,
      prefix: { type: 'string' },
      projectId: name,
      keyFilename: name,
      apiEndpoint: name,
      requestTimeout: { type: ['string', 'number'], duration: 'positive' },
      maxAttempts: { type: 'integer', minimum: 1, maximum: 20 }
    },
    required: ['bucket']
  },
  actions: {
    delete: { properties: {} },
    quarantine: { properties: { prefix: name, bucket: name } },
    'release-hold': { properties: {} },
    'custom-time': { properties: {} }
  },
  supports: { rangePushdown: true, lock: 'store' },
  sectionOf: location => ({ type: 'gcs', bucket: location.authority, ...(location.path === '' ? {} : { prefix: location.path }) }),
  open (section) {
    if (typeof section?.bucket !== 'string' || section.bucket.length === 0) throw new TypeError('[gcs] driver: bucket is required')
    const storage = new Storage(storageOptions(section))
    const bucket = section.bucket
    const base = { client: storage, bucket }
    const quarantine = (trash: { bucket?: string | undefined, prefix?: string | undefined }) => gcsQuarantineSink({
      ...base,
      ...(trash.bucket === undefined ? {} : { trashBucket: trash.bucket }),
      ...(trash.prefix === undefined ? {} : { trashPrefix: trash.prefix })
    })
    const listed = (prefix: string | undefined): string | undefined => prefix ?? section.prefix
    return {
      location: prefix => `gs://${bucket}/${listed(prefix) ?? ''}`,
      candidates: (options = {}) => {
        const prefix = listed(options.prefix)
        const after = options.range?.after
        // startOffset is inclusive: the range's own lower bound is dropped by withinRange
        return withinRange(gcsSource({
          ...base,
          ...(prefix === undefined ? {} : { prefix }),
          ...(after === undefined ? {} : { startOffset: after }),
          ...(options.signal === undefined ? {} : { signal: options.signal })
        }), options.range)
      },
      splitPoints: async options => await gcsSplitPoints(storage, bucket, { ...options, prefix: listed(options.prefix) }),
      sink (action, overrides = {}) {
        if (action.type === 'delete') return gcsDeleteSink(base)
        if (action.type === 'quarantine') return quarantine(overrides.trash === undefined ? quarantineOf(action) : trashOf(overrides.trash))
        if (action.type === 'release-hold') return gcsReleaseHoldSink(base)
        if (action.type === 'custom-time') return gcsCustomTimeSink(base)
        throw new TypeError(`[gcs] driver: a GCS store cannot ${JSON.stringify(action.type)} (delete, quarantine, release-hold, custom-time)`)
      },
      restorer: trash => quarantine(trash === undefined ? {} : trashOf(trash)),
      trash: action => {
        if (action.type !== 'quarantine') return undefined
        const trash = quarantineOf(action)
        return `gs://${trash.bucket ?? bucket}/${trash.prefix ?? DEFAULT_TRASH_PREFIX}`
      },
      lock: () => gcsLock({ client: storage, bucket }),
      probe: async () => {
        const file = storage.bucket(bucket).file(`.keydiff/check-${randomBytes(6).toString('hex')}`)
        await file.save('keydiff check\n', { resumable: false })
        await file.delete()
      },
      close: async () => {}
    }
  }
}

function storageOptions (section: GcsStoreSection): StorageOptions {
  return {
    timeout: Math.ceil(parseDuration(section.requestTimeout ?? '60s', 'requestTimeout')),
    retryOptions: { maxRetries: (section.maxAttempts ?? 3) - 1 },
    ...(section.projectId === undefined ? {} : { projectId: section.projectId }),
    ...(section.keyFilename === undefined ? {} : { keyFilename: section.keyFilename }),
    ...(section.apiEndpoint === undefined ? {} : { apiEndpoint: section.apiEndpoint })
  }
}

function quarantineOf (action: ActionSection): { bucket?: string | undefined, prefix?: string | undefined } {
  return { bucket: action.bucket as string | undefined, prefix: action.prefix as string | undefined }
}

/** A quarantine given as a location, `gs://bucket/prefix/`. */
function trashOf (location: string): { bucket: string, prefix: string } {
  const trash = parseStoreLocation(location, 'trash')
  if (trash.scheme !== 'gs') throw new TypeError(`[gcs] driver: the trash ${location} is not a GCS location (gs://bucket/prefix/)`)
  return { bucket: trash.authority, prefix: trash.path }
}
