import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { GetObjectCommand, GetObjectTaggingCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { apply, linesSource, plan, type KeyEntry, type Sink } from '@keydiff/core'
import { s3DeleteSink, s3QuarantineSink, s3Source, s3TagSink } from '@keydiff/s3'
import { startS3rver, type FaultProxy, type ProxiedRequest, type S3rverServer } from '@keydiff/s3/testing'

// What s3rver 3.7.1 does with the conditions (read from its source and seen here): it ignores
// If-Match on HEAD, x-amz-copy-source-if-match on CopyObject and <ETag>/<VersionId> in
// DeleteObjects, and has no versioning. So the sinks' own comparison of the HEAD answer is what
// catches a rewrite on s3rver; the store's refusals (412, PreconditionFailed) and versions are
// emulated by the fault proxy, which only alters what passes through.

let server: S3rverServer
let proxy: FaultProxy
let work: string

before(async () => {
  server = await startS3rver({ lenient: true, maxAttempts: 1 })
  proxy = await server.startFaultProxy()
  work = await mkdtemp(join(tmpdir(), 'keydiff-s3-check-'))
})

after(async () => {
  await server?.stop()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

async function body (client: S3Client, bucket: string, key: string): Promise<string> {
  const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  return await output.Body?.transformToString() ?? ''
}

async function tagged (client: S3Client, bucket: string, key: string): Promise<boolean> {
  const tags = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))
  return (tags.TagSet ?? []).some(tag => tag.Key === 'keydiff')
}

async function listed (client: S3Client, bucket: string): Promise<KeyEntry[]> {
  const entries: KeyEntry[] = []
  for await (const batch of s3Source({ client, bucket, concurrency: 1 })) entries.push(...batch)
  return entries
}

const ORPHANS = ['o/same-size', 'o/longer', 'o/kept-as-planned']

const actions: Array<[string, (client: S3Client, bucket: string) => Sink, (client: S3Client, bucket: string, key: string) => Promise<boolean>]> = [
  ['delete', (client, bucket) => s3DeleteSink({ client, bucket, retryDelay: 5 }), async (_client, bucket, key) => !await server.exists(bucket, key)],
  ['quarantine', (client, bucket) => s3QuarantineSink({ client, bucket, retryDelay: 5 }), async (_client, bucket, key) => !await server.exists(bucket, key) && await server.exists(bucket, `.keydiff-trash/${key}`)],
  ['tag', (client, bucket) => s3TagSink({ client, bucket, retryDelay: 5 }), async (client, bucket, key) => await tagged(client, bucket, key)]
]

for (const [action, make, actedOn] of actions) {
  test(`${action}: objects rewritten between plan and apply are reported changed since the plan and keep their new content`, async () => {
    const client = server.client()
    const bucket = await server.createBucket([{ key: 'live', size: 4 }, ...ORPHANS.map(key => ({ key, size: 4 }))])
    const references = join(work, `${action}.refs`)
    const planFile = join(work, `${action}.plan.jsonl`)
    try {
      await writeFile(references, 'live\n')
      const summary = await plan({ candidates: s3Source({ client, bucket }), references: linesSource(references), store: `s3://${bucket}/`, out: planFile, grace: 0, acknowledgeZeroGrace: true, maxOrphanShare: 1 })
      assert.equal(summary.header.counts.planned, 3)
      // Same size, other bytes: only the ETag tells. Longer: the size tells too.
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'o/same-size', Body: 'new!' }))
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'o/longer', Body: 'written after the plan' }))
      const result = await apply(planFile, make(client, bucket), { lock: null, retries: 0 })
      assert.equal(result.done, 1)
      assert.equal(result.failed, 2)
      assert.deepEqual(result.failures.map(failure => failure.key).sort(), ['o/longer', 'o/same-size'])
      for (const failure of result.failures) assert.match(failure.error, /changed since the plan/)
      assert.equal(await body(client, bucket, 'o/same-size'), 'new!')
      assert.equal(await body(client, bucket, 'o/longer'), 'written after the plan')
      assert.equal(await actedOn(client, bucket, 'o/same-size'), false)
      assert.equal(await actedOn(client, bucket, 'o/longer'), false)
      assert.equal(await actedOn(client, bucket, 'o/kept-as-planned'), true)
      assert.equal(await server.exists(bucket, 'live'), true)
    } finally {
      await server.removeBucket(bucket)
    }
  })
}

test('the sinks send their conditions: HEAD If-Match, CopySourceIfMatch, and the ETag in DeleteObjects', async () => {
  const admin = server.client()
  const bucket = await server.createBucket([{ key: 'a', size: 3 }, { key: 'b', size: 3 }])
  const [a, b] = await listed(admin, bucket) as [KeyEntry, KeyEntry]
  const seen: ProxiedRequest[] = []
  proxy.rule = request => { seen.push(request); return undefined }
  try {
    const client = server.client(proxy.endpoint)
    assert.deepEqual((await s3DeleteSink({ client, bucket }).apply([a])).map(outcome => outcome.ok), [true])
    assert.deepEqual((await s3QuarantineSink({ client, bucket }).apply([b])).map(outcome => outcome.ok), [true])
    const heads = seen.filter(request => request.method === 'HEAD' && !request.url.pathname.includes('.keydiff-trash'))
    assert.deepEqual(heads.map(request => request.headers['if-match']), [`"${a.version as string}"`, `"${b.version as string}"`])
    const copy = seen.find(request => request.method === 'PUT' && request.headers['x-amz-copy-source'] !== undefined)
    assert.equal(copy?.headers['x-amz-copy-source-if-match'], `"${b.version as string}"`)
    const deletes = seen.filter(request => request.method === 'POST' && request.url.searchParams.has('delete')).map(request => request.body.toString('utf8'))
    assert.match(deletes[0] ?? '', new RegExp(`<Key>a</Key><ETag>(&quot;|")${a.version as string}(&quot;|")</ETag>`))
    assert.match(deletes[1] ?? '', new RegExp(`<Key>b</Key><ETag>(&quot;|")${b.version as string}(&quot;|")</ETag>`))
  } finally {
    proxy.rule = () => undefined
    await server.removeBucket(bucket)
  }
})

test('a store that refuses on the condition (a rewrite between the check and the action): the object is changed since the plan and stays', async () => {
  const admin = server.client()
  // Each request keeps one other key (`filler-…`): s3rver refuses a DeleteObjects of no objects.
  const bucket = await server.createBucket(['c', 'd', 'filler-1', 'filler-2'].map(key => ({ key, size: 3 })))
  const [c, d, ...fillers] = await listed(admin, bucket) as [KeyEntry, KeyEntry, KeyEntry, KeyEntry]
  try {
    const client = server.client(proxy.endpoint)
    // S3 answers 412 when the source's ETag is no longer the one in CopySourceIfMatch.
    proxy.rule = request => request.method === 'PUT' && request.headers['x-amz-copy-source-if-match'] !== undefined ? { kind: 'error', status: 412, code: 'PreconditionFailed' } : undefined
    const [copyRefused] = await s3QuarantineSink({ client, bucket }).apply([c])
    assert.equal(copyRefused?.ok, false)
    assert.equal(copyRefused?.retryable, false)
    assert.match(copyRefused?.error ?? '', /changed since the plan/)
    assert.equal(await server.exists(bucket, 'c'), true)
    assert.equal(await server.exists(bucket, '.keydiff-trash/c'), false)

    // DeleteObjects reports a failed ETag condition per key, as PreconditionFailed; s3rver never
    // sees the key. The quarantine's copy of the old content is removed again.
    proxy.rule = request => {
      if (request.method !== 'POST' || !request.url.searchParams.has('delete')) return undefined
      const text = request.body.toString('utf8')
      const kept = text.replace(/<Object><Key>d<\/Key>(?:<[A-Za-z]+>[^<]*<\/[A-Za-z]+>)*<\/Object>/, '')
      if (kept === text) return undefined
      return { kind: 'rewrite', body: Buffer.from(kept), response: xml => Buffer.from(xml.toString('utf8').replace('</DeleteResult>', '<Error><Key>d</Key><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error></DeleteResult>')) }
    }
    for (const [i, sink] of [s3DeleteSink({ client, bucket }), s3QuarantineSink({ client, bucket })].entries()) {
      const [outcome, filler] = await sink.apply([d, fillers[i] as KeyEntry])
      assert.equal(filler?.ok, true, sink.name)
      assert.equal(outcome?.ok, false, sink.name)
      assert.equal(outcome?.retryable, false, sink.name)
      assert.match(outcome?.error ?? '', /changed since the plan/, sink.name)
      assert.equal(await server.exists(bucket, 'd'), true, sink.name)
    }
    proxy.rule = () => undefined
    assert.equal(await server.exists(bucket, '.keydiff-trash/d'), false)
  } finally {
    proxy.rule = () => undefined
    await server.removeBucket(bucket)
  }
})

test('on a versioned bucket the planned version is what is deleted and tagged (versions emulated by the proxy)', async () => {
  const admin = server.client()
  const bucket = await server.createBucket([{ key: 'e', size: 3 }])
  const [e] = await listed(admin, bucket) as [KeyEntry]
  const seen: ProxiedRequest[] = []
  proxy.rule = request => {
    seen.push(request)
    if (request.method !== 'HEAD') return undefined
    return { kind: 'rewrite', body: request.body, response: out => out, headers: headers => ({ ...headers, 'x-amz-version-id': 'v-planned' }) }
  }
  try {
    const client = server.client(proxy.endpoint)
    assert.deepEqual((await s3TagSink({ client, bucket }).apply([e])).map(outcome => outcome.ok), [true])
    const tagging = seen.filter(request => request.url.searchParams.has('tagging'))
    assert.deepEqual(tagging.map(request => request.url.searchParams.get('versionId')), ['v-planned', 'v-planned'])
    assert.deepEqual((await s3DeleteSink({ client, bucket }).apply([e])).map(outcome => outcome.ok), [true])
    const deleted = seen.find(request => request.method === 'POST' && request.url.searchParams.has('delete'))?.body.toString('utf8') ?? ''
    assert.match(deleted, /<Key>e<\/Key><VersionId>v-planned<\/VersionId><\/Object>/)
  } finally {
    proxy.rule = () => undefined
    await server.removeBucket(bucket)
  }
})

test('checkUnchanged: false acts on whatever the key holds, without a HeadObject', async () => {
  const admin = server.client()
  const bucket = await server.createBucket([{ key: 'f', size: 3 }])
  const [f] = await listed(admin, bucket) as [KeyEntry]
  await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'f', Body: 'rewritten' }))
  const seen: ProxiedRequest[] = []
  proxy.rule = request => { seen.push(request); return undefined }
  try {
    const [outcome] = await s3DeleteSink({ client: server.client(proxy.endpoint), bucket, checkUnchanged: false }).apply([f])
    assert.equal(outcome?.ok, true)
    assert.equal(seen.filter(request => request.method === 'HEAD').length, 0)
    assert.equal(await server.exists(bucket, 'f'), false)
  } finally {
    proxy.rule = () => undefined
    await server.removeBucket(bucket)
  }
})

test('the sinks name their store, and the quarantine sink its trash', () => {
  const client = server.client()
  assert.equal(s3DeleteSink({ client, bucket: 'b1' }).store, 's3://b1/')
  assert.equal(s3TagSink({ client, bucket: 'b1' }).store, 's3://b1/')
  const quarantine = s3QuarantineSink({ client, bucket: 'b1', trashBucket: 'trash', trashPrefix: 'kd/' })
  assert.equal(quarantine.store, 's3://b1/')
  assert.equal(quarantine.trash, 's3://trash/kd/')
  assert.equal(s3QuarantineSink({ client, bucket: 'b1' }).trash, 's3://b1/.keydiff-trash/')
})

test('a missing bucket fails the whole batch with KEYDIFF_SINK_FAILED, never "already gone"', async () => {
  const client = server.client()
  const entry = { key: 'a', size: 3, version: 'abc' }
  for (const sink of [s3DeleteSink({ client, bucket: 'no-such-bucket', retries: 0 }), s3TagSink({ client, bucket: 'no-such-bucket', retries: 0 })]) {
    await assert.rejects(sink.apply([entry]), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'KEYDIFF_SINK_FAILED', sink.name)
      assert.match(error.message, /no-such-bucket/)
      return true
    })
  }
})
