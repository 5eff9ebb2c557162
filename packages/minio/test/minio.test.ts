import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { apply, compareKeys, linesSource, plan, type KeyEntry, type KeySource, type Sink, type RestorableSink } from '@keydiff/core'
import { keySourceSuite, sinkSuite, type SinkFactory, type SinkFixture } from '@keydiff/core/conformance'
import { minioDeleteSink, minioSource, minioTagSink } from '@keydiff/minio'
import { isListing, refuseKeys, startS3rver, S3RVER_CREDENTIALS, type FaultProxy, type FaultRule, type S3rverServer } from '@keydiff/s3/testing'
import { Client } from 'minio'

let server: S3rverServer
let proxy: FaultProxy
let proxyPort: number

before(async () => {
  // Lenient: the proxy rewrites DeleteObjects bodies, which breaks their Content-MD5.
  server = await startS3rver({ lenient: true })
  proxy = await server.startFaultProxy()
  proxyPort = Number(new URL(proxy.endpoint).port)
})
after(async () => { await server?.stop() })

/** A minio client of the server, or of the fault proxy in front of it. */
function minioClient (port = server.port): Client {
  return new Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: S3RVER_CREDENTIALS.accessKeyId, secretKey: S3RVER_CREDENTIALS.secretAccessKey, pathStyle: true, region: 'us-east-1' })
}

/** Every entry the source lists, in its order. */
async function entriesOf (source: KeySource): Promise<KeyEntry[]> {
  const entries: KeyEntry[] = []
  for await (const batch of source) entries.push(...batch)
  return entries
}

/**
 * Encodes keys in a listing as MinIO and S3 do under encoding-type=url. s3rver ignores the
 * parameter, and the minio client decodes every key whatever the server did, so without
 * this a key with `+` or `%` would come back changed from s3rver (never from MinIO).
 */
function encodeLikeMinio (xml: Buffer): Buffer {
  const unescape = (text: string): string => text.replace(/&(lt|gt|quot|apos|amp|#x?[0-9a-fA-F]+);/g, (_, entity: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' }
    if (entity in named) return named[entity] as string
    return String.fromCodePoint(entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10))
  })
  const body = xml.toString('utf8')
    .replace(/<(Key|Prefix)>([^<]*)<\/\1>/g, (_, tag: string, value: string) => `<${tag}>${encodeURIComponent(unescape(value))}</${tag}>`)
    .replace('</ListBucketResult>', '<EncodingType>url</EncodingType></ListBucketResult>')
  return Buffer.from(body)
}

const encoding: FaultRule = request => isListing(request) ? { kind: 'rewrite', body: request.body, response: encodeLikeMinio } : undefined

keySourceSuite({
  test,
  name: 'minioSource',
  // s3rver keeps keys as file paths: a path component of at most ~233 bytes (MinIO holds 1,024).
  supports: { sorted: true, failure: true, maxKeyBytes: 240 },
  factory: async (entries, { failAfter }) => {
    const bucket = await server.createBucket(entries)
    let lists = 0
    const okPages = failAfter === undefined ? Infinity : Math.max(1, Math.floor(failAfter / 1000))
    proxy.rule = request => isListing(request) && ++lists > okPages ? { kind: 'error', status: 500, code: 'InternalError' } : encoding(request)
    return {
      subject: minioSource({ client: minioClient(proxyPort), bucket, retries: 1, retryDelay: 5 }),
      teardown: async () => {
        proxy.rule = () => undefined
        await server.removeBucket(bucket)
      }
    }
  }
})

test('s3rver gap: straight from s3rver (no encoding), the minio client turns "+" into a space; MinIO itself encodes, so keys come back exactly', async () => {
  const admin = minioClient()
  const bucket = await server.createBucket([{ key: 'plus+sign' }])
  try {
    assert.deepEqual((await entriesOf(minioSource({ client: admin, bucket }))).map(entry => entry.key), ['plus sign'])
    proxy.rule = encoding
    assert.deepEqual((await entriesOf(minioSource({ client: minioClient(proxyPort), bucket }))).map(entry => entry.key), ['plus+sign'])
  } finally {
    proxy.rule = () => undefined
    await server.removeBucket(bucket)
  }
})

const s3rverHolds = (key: string): boolean => !key.includes('//') && Buffer.byteLength(key) <= 240

/** The entry a plan records of `key` (through minioSource), a writer's rewrite of it, and its content. */
function changes (admin: Client, bucket: string): Pick<SinkFixture, 'planned' | 'rewrite' | 'read'> {
  return {
    planned: async key => {
      const entry = (await entriesOf(minioSource({ client: admin, bucket, prefix: key }))).find(candidate => candidate.key === key)
      if (entry === undefined) throw new Error(`${key} is not in minio://${bucket}/`)
      return entry
    },
    rewrite: async (key, body) => { await admin.putObject(bucket, key, Buffer.from(body)) },
    read: async key => {
      try {
        const chunks: Buffer[] = []
        for await (const chunk of await admin.getObject(bucket, key)) chunks.push(chunk as Buffer)
        return Buffer.concat(chunks)
      } catch (error) {
        if ((error as { code?: string }).code === 'NoSuchKey') return undefined
        throw error
      }
    }
  }
}

function sinkFactory (make: (client: Client, bucket: string) => Sink | RestorableSink, actedOn: (admin: Client, bucket: string, key: string) => Promise<boolean>): SinkFactory {
  return async (entries, { failKeys }) => {
    const admin = minioClient()
    const bucket = await server.createBucket(entries)
    proxy.rule = failKeys === undefined ? () => undefined : refuseKeys(failKeys)
    return {
      subject: { sink: make(minioClient(proxyPort), bucket), actedOn: async key => await actedOn(admin, bucket, key), ...changes(admin, bucket) },
      teardown: async () => {
        proxy.rule = () => undefined
        await server.removeBucket(bucket)
      }
    }
  }
}

sinkSuite({
  test,
  name: 'minioDeleteSink',
  // s3rver's XML parser trims whitespace around a key in DeleteObjects (MinIO keeps it).
  supports: { failures: true, canHold: key => s3rverHolds(key) && key.trim() === key },
  factory: sinkFactory((client, bucket) => minioDeleteSink({ client, bucket, retryDelay: 5 }), async (_admin, bucket, key) => !await server.exists(bucket, key))
})

sinkSuite({
  test,
  name: 'minioTagSink',
  supports: { failures: true, canHold: s3rverHolds },
  factory: sinkFactory((client, bucket) => minioTagSink({ client, bucket, retryDelay: 5 }), async (admin, bucket, key) => {
    const tags = await admin.getObjectTagging(bucket, key) as Array<{ Key: string, Value: string }>
    return tags.some(tag => tag.Key === 'keydiff' && tag.Value === 'orphan')
  })
})

test('end to end through the minio client: listing + reference file -> plan -> delete', async () => {
  const admin = minioClient()
  const referenced = Array.from({ length: 30 }, (_, i) => `db/${String(i).padStart(2, '0')}.bin`)
  const orphans = ['db/orphan one.bin', 'db/é-orphan.bin', 'tmp/left-behind']
  const bucket = await server.createBucket([...referenced, ...orphans].map(key => ({ key, size: 5 })))
  const work = await mkdtemp(join(tmpdir(), 'keydiff-minio-'))
  try {
    await writeFile(join(work, 'refs.txt'), referenced.join('\n'))
    const out = join(work, 'plan.jsonl')
    const summary = await plan({ candidates: minioSource({ client: admin, bucket }), references: linesSource(join(work, 'refs.txt')), store: `minio://${bucket}/`, out, grace: 0, acknowledgeZeroGrace: true })
    assert.equal(summary.header.counts.planned, orphans.length)
    const result = await apply(out, minioDeleteSink({ client: admin, bucket }), { lock: null })
    assert.equal(result.done, orphans.length)
    const left = (await entriesOf(minioSource({ client: admin, bucket }))).map(entry => entry.key)
    assert.deepEqual(left, [...referenced].sort(compareKeys))
  } finally {
    await rm(work, { recursive: true, force: true })
    await server.removeBucket(bucket)
  }
})

test('a missing bucket fails with KEYDIFF_SOURCE_NOT_FOUND', async () => {
  await assert.rejects(entriesOf(minioSource({ client: minioClient(), bucket: 'no-such-bucket-here', retries: 0 })), { code: 'KEYDIFF_SOURCE_NOT_FOUND' })
})

for (const [action, make, actedOn] of [
  ['delete', (client: Client, bucket: string) => minioDeleteSink({ client, bucket, retryDelay: 5 }), async (_admin: Client, bucket: string, key: string) => !await server.exists(bucket, key)],
  ['tag', (client: Client, bucket: string) => minioTagSink({ client, bucket, retryDelay: 5 }), async (admin: Client, bucket: string, key: string) => (await admin.getObjectTagging(bucket, key) as Array<{ Key: string }>).length > 0]
] as const) {
  test(`${action}: objects rewritten between plan and apply (same size, or longer) are reported changed since the plan and keep their new content`, async () => {
    const admin = minioClient()
    const bucket = await server.createBucket(['live', 'o/same-size', 'o/longer', 'o/as-planned'].map(key => ({ key, size: 4 })))
    const work = await mkdtemp(join(tmpdir(), 'keydiff-minio-'))
    proxy.rule = encoding
    try {
      await writeFile(join(work, 'refs.txt'), 'live\n')
      const out = join(work, 'plan.jsonl')
      const client = minioClient(proxyPort)
      await plan({ candidates: minioSource({ client, bucket }), references: linesSource(join(work, 'refs.txt')), store: `minio://${bucket}/`, out, grace: 0, acknowledgeZeroGrace: true, maxOrphanShare: 1 })
      await admin.putObject(bucket, 'o/same-size', Buffer.from('new!'))
      await admin.putObject(bucket, 'o/longer', Buffer.from('written after the plan'))
      const result = await apply(out, make(client, bucket), { lock: null, retries: 0 })
      assert.equal(result.done, 1)
      assert.deepEqual(result.failures.map(failure => failure.key).sort(), ['o/longer', 'o/same-size'])
      for (const failure of result.failures) assert.match(failure.error, /changed since the plan/)
      for (const key of ['o/same-size', 'o/longer']) assert.equal(await actedOn(admin, bucket, key), false, key)
      assert.equal(await actedOn(admin, bucket, 'o/as-planned'), true)
      const chunks: Buffer[] = []
      for await (const chunk of await admin.getObject(bucket, 'o/same-size')) chunks.push(chunk as Buffer)
      assert.equal(Buffer.concat(chunks).toString(), 'new!')
    } finally {
      proxy.rule = () => undefined
      await rm(work, { recursive: true, force: true })
      await server.removeBucket(bucket)
    }
  })
}

test('minio sinks: a missing bucket fails the whole batch with KEYDIFF_SINK_FAILED, never "already gone"; the sinks name their store', async () => {
  const client = minioClient()
  for (const sink of [minioDeleteSink({ client, bucket: 'no-such-bucket-here', retries: 0 }), minioTagSink({ client, bucket: 'no-such-bucket-here', retries: 0 })]) {
    assert.equal(sink.store, 'minio://no-such-bucket-here/')
    await assert.rejects(sink.apply([{ key: 'a', size: 3 }]), (error: Error & { code?: string }) => error.code === 'KEYDIFF_SINK_FAILED' && error.message.includes('no-such-bucket-here'))
  }
})
