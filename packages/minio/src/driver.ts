import { randomBytes } from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import { parseDuration } from '@keydiff/core'
import { withinRange, type StoreDriver, type StoreSection } from '@keydiff/core/adapter'
import { Client } from 'minio'
import { minioDeleteSink } from './minio-delete-sink.ts'
import { minioSource } from './minio-source.ts'
import { minioSplitPoints } from './minio-split-points.ts'
import { minioTagSink } from './minio-tag-sink.ts'
import { minioLock } from './minio-lock.ts'

/** `[stores.x]` with `type = "minio"` (or `"@keydiff/minio"`). */
export interface MinioStoreSection extends StoreSection {
  /** Required. */
  readonly bucket: string
  /** Only keys under this prefix. @default '' */
  readonly prefix?: string
  /** The server's host name or address. Required. */
  readonly endPoint: string
  /** @default 443 with TLS, 80 without */
  readonly port?: number
  /** @default true */
  readonly useSSL?: boolean
  /** Write `${VAR}` to keep it out of the file. @default the environment's MINIO_ACCESS_KEY, else none */
  readonly accessKey?: string
  /** @default the environment's MINIO_SECRET_KEY, else none */
  readonly secretKey?: string
  /** @default the server's, asked on first use */
  readonly region?: string
  /** Bucket in the path rather than the host name. @default the client's choice (path style for an address) */
  readonly pathStyle?: boolean
  /** Time a request may wait with nothing arriving on its socket, connecting included. @default '60s' */
  readonly requestTimeout?: string
  /** Attempts of one request, the first included (the adapters' `retries` + 1). @default 3 */
  readonly maxAttempts?: number
}

const name = { type: 'string', minLength: 1 }

/**
 * The MinIO store: listing by `minioSource` (a range starts after its lower bound with
 * `startAfter` and stops past its upper one), split points from the common prefixes of
 * delimited listings, delete and tag sinks, and `minioLock`, a lock
 * object in the bucket that keeps apart runs of every host.
 */
export const driver: StoreDriver<MinioStoreSection> = {
  type: 'minio',
  scheme: 'minio',
  configSchema: {
    properties: {
      bucket: name,
      prefix: { type: 'string' },
      endPoint: name,
      port: { type: 'integer', minimum: 1, maximum: 65535 },
      useSSL: { type: 'boolean' },
      accessKey: name,
      secretKey: name,
      region: name,
      pathStyle: { type: 'boolean' },
      requestTimeout: { type: ['string', 'number'], duration: 'positive' },
      maxAttempts: { type: 'integer', minimum: 1, maximum: 20 }
    },
    required: ['bucket', 'endPoint']
  },
  actions: {
    delete: { properties: {} },
    tag: { properties: { key: name, value: { type: 'string' } } }
  },
  supports: { rangePushdown: true, lock: 'store' },
  open (section, context) {
    if (typeof section?.bucket !== 'string' || section.bucket.length === 0) throw new TypeError('[minio] driver: bucket is required')
    if (typeof section.endPoint !== 'string' || section.endPoint.length === 0) throw new TypeError('[minio] driver: endPoint is required')
    const useSSL = section.useSSL ?? true
    const client = new Client({
      endPoint: section.endPoint,
      ...(section.port === undefined ? {} : { port: section.port }),
      useSSL,
      accessKey: section.accessKey ?? context.env.MINIO_ACCESS_KEY ?? '',
      secretKey: section.secretKey ?? context.env.MINIO_SECRET_KEY ?? '',
      ...(section.region === undefined ? {} : { region: section.region }),
      ...(section.pathStyle === undefined ? {} : { pathStyle: section.pathStyle }),
      transport: timeoutTransport(useSSL, Math.ceil(parseDuration(section.requestTimeout ?? '60s', 'requestTimeout')))
    })
    const bucket = section.bucket
    const base = { client, bucket, retries: (section.maxAttempts ?? 3) - 1 }
    const listed = (prefix: string | undefined): string | undefined => prefix ?? section.prefix
    const location = (prefix?: string): string => `minio://${bucket}/${listed(prefix) ?? ''}`
    return {
      location,
      candidates: (options = {}) => {
        const prefix = listed(options.prefix)
        const after = options.range?.after
        return withinRange(minioSource({
          ...base,
          ...(prefix === undefined ? {} : { prefix }),
          ...(after === undefined ? {} : { startAfter: after }),
          ...(options.signal === undefined ? {} : { signal: options.signal })
        }), options.range)
      },
      splitPoints: async options => await minioSplitPoints(client, bucket, base.retries, { ...options, prefix: listed(options.prefix) }),
      sink (action) {
        if (action.type === 'delete') return minioDeleteSink(base)
        if (action.type === 'tag') {
          const key = action.key as string | undefined
          return minioTagSink({ ...base, ...(key === undefined ? {} : { tag: { key, value: (action.value as string | undefined) ?? 'orphan' } }) })
        }
        throw new TypeError(`[minio] driver: a MinIO store cannot ${JSON.stringify(action.type)} (delete, tag)`)
      },
      // Under `.keydiff/`, which a plan never lists as a candidate.
      lock: () => minioLock({ client, bucket, key: '.keydiff/lock' }),
      probe: async () => {
        const key = `.keydiff/check-${randomBytes(6).toString('hex')}`
        await client.putObject(bucket, key, Buffer.from('keydiff check\n'))
        await client.removeObject(bucket, key)
      },
      close: async () => {}
    }
  }
}

/**
 * `http.request` (or https) with a socket inactivity timeout, since the minio client takes
 * a transport but no timeout: a request whose socket stays silent for `timeoutMs`,
 * connecting included, fails with ETIMEDOUT naming the host.
 */
function timeoutTransport (secure: boolean, timeoutMs: number): Pick<typeof http, 'request'> {
  const base = secure ? https : http
  const request = (...args: Parameters<typeof http.request>): http.ClientRequest => {
    const req = (base.request as (...a: Parameters<typeof http.request>) => http.ClientRequest)(...args)
    req.setTimeout(timeoutMs, () => {
      const host = `${String(req.host)}${req.socket?.remotePort === undefined ? '' : `:${req.socket.remotePort}`}`
      req.destroy(Object.assign(new Error(`no answer from ${host} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }))
    })
    return req
  }
  return { request: request as typeof http.request }
}
