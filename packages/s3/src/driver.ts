import { randomBytes } from 'node:crypto'
import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand, PutObjectTaggingCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { parseDuration, parseStoreLocation } from '@keydiff/core'
import { withinRange, type ActionSection, type StoreDriver, type StoreDriverContext, type StoreSection } from '@keydiff/core/adapter'
import { s3DeleteSink } from './delete-sink.ts'
import { s3QuarantineSink } from './quarantine-sink.ts'
import { s3Lock } from './s3-lock.ts'
import { s3Source } from './s3-source.ts'
import { s3SplitPoints } from './store-split-points.ts'
import { DEFAULT_TAG, s3TagSink } from './tag-sink.ts'

/** `[stores.x]` with `type = "s3"` (or `"@keydiff/s3"`). */
export interface S3StoreSection extends StoreSection {
  /** Required. */
  readonly bucket: string
  /** Only keys under this prefix. @default '' */
  readonly prefix?: string
  /** @default the environment's AWS_REGION, else 'us-east-1' */
  readonly region?: string
  /** For S3-compatible stores (Ceph, R2, MinIO through the AWS SDK). @default the environment's AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, else AWS */
  readonly endpoint?: string
  readonly forcePathStyle?: boolean
  /** With `secretAccessKey`; write `${VAR}` to keep it out of the file. @default the SDK's credential chain */
  readonly accessKeyId?: string
  readonly secretAccessKey?: string
  /** Time to open a TCP connection (the SDK's `connectionTimeout`). @default '10s' */
  readonly connectTimeout?: string
  /** Time a request may wait with nothing arriving on its socket (the SDK's `socketTimeout`). @default '60s' */
  readonly requestTimeout?: string
  /** Attempts of one request, the first included (the SDK's `maxAttempts`). @default 3 */
  readonly maxAttempts?: number
}

const name = { type: 'string', minLength: 1 }
const timeout = { type: ['string', 'number'], duration: 'positive' }
const DEFAULT_TRASH_PREFIX = '.keydiff-trash/'

/**
 * The S3 store: listing by `s3Source` (a range starts after its lower bound with `StartAfter`
 * and stops past its upper one), split points from the common prefixes of delimited listings,
 * delete, quarantine and tag sinks, restore from a quarantine, and the lock object in the
 * bucket. The S3Client is made when the store is opened and connects on its
 * first request.
 */
export const driver: StoreDriver<S3StoreSection> = {
  type: 's3',
  scheme: 's3',
  configSchema: {
    properties: {
      bucket: name,
      prefix: { type: 'string' },
      region: name,
      endpoint: name,
      forcePathStyle: { type: 'boolean' },
      accessKeyId: name,
      secretAccessKey: name,
      connectTimeout: timeout,
      requestTimeout: timeout,
      maxAttempts: { type: 'integer', minimum: 1, maximum: 20 }
    },
    required: ['bucket']
  },
  actions: {
    delete: { properties: {} },
    quarantine: { properties: { prefix: name, bucket: name } },
    tag: { properties: { key: name, value: { type: 'string' } } }
  },
  supports: { rangePushdown: true, lock: 'store' },
  sectionOf: location => ({ type: 's3', bucket: location.authority, ...(location.path === '' ? {} : { prefix: location.path }) }),
  open (section, context) {
    if (typeof section?.bucket !== 'string' || section.bucket.length === 0) throw new TypeError('[s3] driver: bucket is required')
    const client = new S3Client(clientConfig(section, context))
    const bucket = section.bucket
    const base = { client, bucket }
    const quarantine = (trash: { bucket?: string | undefined, prefix?: string | undefined }) => s3QuarantineSink({
      ...base,
      ...(trash.bucket === undefined ? {} : { trashBucket: trash.bucket }),
      ...(trash.prefix === undefined ? {} : { trashPrefix: trash.prefix })
    })
    const listed = (prefix: string | undefined): string | undefined => prefix ?? section.prefix
    return {
      location: prefix => `s3://${bucket}/${listed(prefix) ?? ''}`,
      candidates: (options = {}) => {
        const prefix = listed(options.prefix)
        const range = options.range
        return withinRange(s3Source({
          ...base,
          ...(prefix === undefined ? {} : { prefix }),
          // the store starts after the range's lower bound and the listing stops past its upper one
          ...(range?.after === undefined ? {} : { startAfter: range.after }),
          ...(range?.upTo === undefined ? {} : { endAt: range.upTo }),
          ...(options.signal === undefined ? {} : { signal: options.signal })
        }), range)
      },
      splitPoints: async options => await s3SplitPoints(client, bucket, { ...options, prefix: listed(options.prefix) }),
      sink (action, overrides = {}) {
        if (action.type === 'delete') return s3DeleteSink(base)
        if (action.type === 'quarantine') return quarantine(overrides.trash === undefined ? quarantineOf(action) : trashOf(overrides.trash))
        if (action.type === 'tag') {
          const key = action.key as string | undefined
          return s3TagSink({ ...base, ...(key === undefined ? {} : { tag: { key, value: (action.value as string | undefined) ?? DEFAULT_TAG.value } }) })
        }
        throw new TypeError(`[s3] driver: an S3 store cannot ${JSON.stringify(action.type)} (delete, quarantine, tag)`)
      },
      restorer: trash => quarantine(trash === undefined ? {} : trashOf(trash)),
      trash: action => {
        if (action.type !== 'quarantine') return undefined
        const trash = quarantineOf(action)
        return `s3://${trash.bucket ?? bucket}/${trash.prefix ?? DEFAULT_TRASH_PREFIX}`
      },
      lock: () => s3Lock(base),
      probe: async action => { await probe(client, bucket, action) },
      close: async () => { client.destroy() }
    }
  }
}

function clientConfig (section: S3StoreSection, context: StoreDriverContext): S3ClientConfig {
  const env = context.env
  const endpoint = section.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL
  const credentials = section.accessKeyId !== undefined && section.secretAccessKey !== undefined
    ? { accessKeyId: section.accessKeyId, secretAccessKey: section.secretAccessKey }
    : env.AWS_ACCESS_KEY_ID !== undefined && env.AWS_SECRET_ACCESS_KEY !== undefined
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN === undefined ? {} : { sessionToken: env.AWS_SESSION_TOKEN }) }
      : undefined
  return {
    region: section.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    maxAttempts: section.maxAttempts ?? 3,
    // socketTimeout is the SDK's idle timeout; its requestTimeout only warns unless told to throw.
    requestHandler: {
      connectionTimeout: Math.ceil(parseDuration(section.connectTimeout ?? '10s', 'connectTimeout')),
      socketTimeout: Math.ceil(parseDuration(section.requestTimeout ?? '60s', 'requestTimeout'))
    },
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(section.forcePathStyle === undefined ? {} : { forcePathStyle: section.forcePathStyle }),
    ...(credentials === undefined ? {} : { credentials })
  }
}

function quarantineOf (action: ActionSection): { bucket?: string | undefined, prefix?: string | undefined } {
  return { bucket: action.bucket as string | undefined, prefix: action.prefix as string | undefined }
}

/** A quarantine given as a location, `s3://bucket/prefix/`. */
function trashOf (location: string): { bucket: string, prefix: string } {
  const trash = parseStoreLocation(location, 'trash')
  if (trash.scheme !== 's3') throw new TypeError(`[s3] driver: the trash ${location} is not an S3 location (s3://bucket/prefix/)`)
  return { bucket: trash.authority, prefix: trash.path }
}

/**
 * Puts, then deletes an object under `.keydiff/`; a tag action also tags it, a quarantine
 * also copies it to the quarantine (and removes the copy).
 */
async function probe (client: S3Client, bucket: string, action: ActionSection | undefined): Promise<void> {
  const key = `.keydiff/check-${randomBytes(6).toString('hex')}`
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'keydiff check\n' }))
  try {
    if (action?.type === 'tag') {
      await client.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet: [{ Key: 'keydiff-check', Value: 'probe' }] } }))
    }
    if (action?.type === 'quarantine') {
      const trash = quarantineOf(action)
      const trashBucket = trash.bucket ?? bucket
      const trashKey = `${trash.prefix ?? DEFAULT_TRASH_PREFIX}${key}`
      await client.send(new CopyObjectCommand({ Bucket: trashBucket, Key: trashKey, CopySource: `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}` }))
      await client.send(new DeleteObjectCommand({ Bucket: trashBucket, Key: trashKey }))
    }
  } finally {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
  }
}
