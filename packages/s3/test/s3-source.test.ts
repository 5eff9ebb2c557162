import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { arraySource, compareKeys, diff, type KeyEntry, type KeySource } from '@keydiff/core'
import { keySourceSuite } from '@keydiff/core/conformance'
import { decodeS3Url, s3Source, type S3SourceOptions } from '@keydiff/s3'
import { isListing, startS3rver, type FaultProxy, type S3rverServer } from '@keydiff/s3/testing'

let server: S3rverServer
let proxy: FaultProxy

before(async () => {
  server = await startS3rver({ maxAttempts: 1 })
  proxy = await server.startFaultProxy()
})

after(async () => {
  await server?.stop()
})

async function collect (source: KeySource): Promise<KeyEntry[]> {
  const out: KeyEntry[] = []
  for await (const batch of source) out.push(...batch)
  return out
}

/**
 * What s3rver holds less than S3, which s3Source declares: s3rver keeps keys as file paths, so
 * no empty segments and a path component of at most ~233 bytes.
 */
const S3RVER_SUPPORTS = { sorted: true, failure: true, maxKeyBytes: 240, emptySegments: false }

for (const [label, extra] of [['sequential', { concurrency: 1 }], ['parallel', { concurrency: 4 }]] as const) {
  keySourceSuite({
    test,
    name: `s3Source ${label}`,
    supports: S3RVER_SUPPORTS,
    factory: async (entries, { failAfter }) => {
      const bucket = await server.createBucket(entries)
      let lists = 0
      const okPages = failAfter === undefined ? Infinity : Math.max(1, Math.floor(failAfter / 1000))
      proxy.rule = request => isListing(request) && ++lists > okPages ? { kind: 'error', status: 500, code: 'InternalError' } : undefined
      const client = server.client(proxy.endpoint)
      return {
        subject: s3Source({ client, bucket, retries: 1, retryDelay: 5, ...extra }),
        teardown: async () => {
          proxy.rule = () => undefined
          await server.removeBucket(bucket)
        }
      }
    }
  })
}

test('decodeS3Url undoes S3 form encoding: + is a space, %2B a plus', () => {
  assert.equal(decodeS3Url('with+space%2Bplus%25pct%2Fslash'), 'with space+plus%pct/slash')
  assert.equal(decodeS3Url('%E6%97%A5%F0%9F%99%82%01'), '日🙂\u0001')
})

/** Encodes keys in a listing the way S3 does under encoding-type=url (s3rver ignores the parameter). */
function encodeLikeS3 (xml: Buffer): Buffer {
  const unescape = (text: string): string => text.replace(/&(lt|gt|quot|apos|amp|#x?[0-9a-fA-F]+);/g, (_, entity: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' }
    if (entity in named) return named[entity] as string
    return String.fromCodePoint(entity.startsWith('#x') ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10))
  })
  const encode = (text: string): string => encodeURIComponent(text).replaceAll('%20', '+')
  const body = xml.toString('utf8')
    .replace(/<(Key|Prefix)>([^<]*)<\/\1>/g, (_, tag: string, value: string) => `<${tag}>${encode(unescape(value))}</${tag}>`)
    .replace('</ListBucketResult>', '<EncodingType>url</EncodingType></ListBucketResult>')
  return Buffer.from(body)
}

test('keys that S3 sends URL-encoded come back exactly (encoding emulated by the proxy, as S3 does it)', async () => {
  const keys = ['a b+c', '100%', 'x/é ü', 'q?r=s&t', 'tab\there', 'ctrl\u0001']
  const bucket = await server.createBucket(keys.map(key => ({ key })))
  proxy.rule = request => isListing(request) ? { kind: 'rewrite', body: request.body, response: encodeLikeS3 } : undefined
  try {
    for (const concurrency of [1, 3]) {
      const got = (await collect(s3Source({ client: server.client(proxy.endpoint), bucket, concurrency }))).map(entry => entry.key)
      assert.deepEqual(got, [...keys].sort(compareKeys))
    }
  } finally {
    proxy.rule = () => undefined
    await server.removeBucket(bucket)
  }
})

function nestedKeys (): KeyEntry[] {
  const keys: KeyEntry[] = []
  for (let i = 0; i < 1500; i++) {
    const hex = (i * 2654435761 >>> 0).toString(16).padStart(8, '0')
    keys.push({ key: `blobs/${hex.slice(0, 1)}/${hex}`, size: i % 7 })
  }
  // No key may share a path segment's start with a directory (blobs/0.txt beside blobs/0/): s3rver would list it out of byte order.
  keys.push({ key: 'blobs/-first.txt' }, { key: 'blobs/~last' }, { key: 'readme' }, { key: 'zzz/one' })
  return keys
}

test('parallel listing (prefix discovery, split points) gives exactly the sequential listing', async () => {
  const admin = server.client()
  const entries = nestedKeys()
  const bucket = await server.createBucket(entries)
  try {
    const options: S3SourceOptions = { client: admin, bucket }
    const sequential = await collect(s3Source({ ...options, concurrency: 1 }))
    assert.deepEqual(sequential.map(entry => entry.key), entries.map(entry => entry.key).sort(compareKeys))
    let requests = 0
    proxy.rule = request => { if (isListing(request)) requests++; return undefined }
    // s3rver reports a common prefix only when objects sit right under it, so discovery starts at blobs/.
    const discovered = await collect(s3Source({ ...options, prefix: 'blobs/', client: server.client(proxy.endpoint), concurrency: 3, pageSize: 100 }))
    assert.ok(requests >= 1 + 17, `prefix discovery should have cut blobs/ into 17 ranges (${requests} list requests)`)
    assert.deepEqual(discovered, sequential.filter(entry => entry.key.startsWith('blobs/')))
    const fromRoot = await collect(s3Source({ ...options, concurrency: 3, splitDepth: 3 }))
    assert.deepEqual(fromRoot, sequential)
    const pointed = await collect(s3Source({ ...options, concurrency: 4, splitPoints: ['blobs/4', 'blobs/8', 'blobs/c', 'blobs/c', 'a'], pageSize: 200 }))
    assert.deepEqual(pointed, sequential)
    const under = await collect(s3Source({ ...options, prefix: 'blobs/a/', concurrency: 2, splitPoints: ['blobs/a/8'] }))
    assert.deepEqual(under, sequential.filter(entry => entry.key.startsWith('blobs/a/')))
  } finally {
    proxy.rule = () => undefined
    await server.removeBucket(bucket)
  }
})

test('throttling (503 SlowDown) and dropped connections are retried; the listing is complete', async () => {
  const entries = nestedKeys()
  const bucket = await server.createBucket(entries)
  const seen = new Map<string, number>()
  proxy.rule = request => {
    if (!isListing(request)) return undefined
    const tries = (seen.get(request.url.search) ?? 0) + 1
    seen.set(request.url.search, tries)
    if (tries === 1) return { kind: 'error', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' }
    if (tries === 2) return { kind: 'reset' }
    return undefined
  }
  try {
    for (const concurrency of [1, 4]) {
      seen.clear()
      const got = await collect(s3Source({ client: server.client(proxy.endpoint), bucket, concurrency, pageSize: 250, retryDelay: 5 }))
      assert.equal(got.length, entries.length)
      assert.ok([...seen.values()].every(tries => tries === 3), 'every page was throttled, dropped, then served')
    }
  } finally {
    proxy.rule = () => undefined
    await server.removeBucket(bucket)
  }
})

test('a page that keeps failing fails the run with a SourceError naming the page; the diff gives no answer', async () => {
  const bucket = await server.createBucket(nestedKeys())
  let lists = 0
  proxy.rule = request => isListing(request) && ++lists > 2 ? { kind: 'error', status: 503, code: 'SlowDown' } : undefined
  try {
    const candidates = s3Source({ client: server.client(proxy.endpoint), bucket, concurrency: 1, pageSize: 500, retries: 2, retryDelay: 5 })
    const run = diff({ candidates, references: arraySource([], { sorted: true }) })
    let orphans = 0
    await assert.rejects(async () => {
      for await (const part of run) orphans += part.entries.length
    }, (error: Error & { code?: string }) => {
      assert.equal(error.code, 'KEYDIFF_SOURCE_FAILED')
      assert.match(error.message, /page 3/)
      assert.match(error.message, /SlowDown/)
      return true
    })
    assert.equal(run.stats.phase, 'failed')
    assert.ok(orphans <= 1000)
  } finally {
    proxy.rule = () => undefined
    await server.removeBucket(bucket)
  }
})

test('a missing bucket fails with KEYDIFF_SOURCE_NOT_FOUND; an unreachable endpoint is a KEYDIFF_CONNECTION_FAILED that names it', async () => {
  await assert.rejects(collect(s3Source({ client: server.client(), bucket: 'no-such-bucket-here' })), { code: 'KEYDIFF_SOURCE_NOT_FOUND' })
  const unreachable = server.client('http://127.0.0.1:9')
  await assert.rejects(collect(s3Source({ client: unreachable, bucket: 'any', retries: 1, retryDelay: 1 })), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'KEYDIFF_CONNECTION_FAILED')
    assert.match(error.message, /127\.0\.0\.1:9/)
    return true
  })
})

test('s3rver gap: it lists "a/b" before "a-b" and "a" (S3 lists a, a-b, a/b); the engine refuses the order instead of answering', async () => {
  const admin = server.client()
  const bucket = await server.createBucket(['a', 'a-b', 'a/b'].map(key => ({ key })))
  try {
    const run = diff({ candidates: s3Source({ client: admin, bucket, concurrency: 1 }), references: arraySource(['a'], { sorted: true }) })
    await assert.rejects(async () => { for await (const part of run) assert.ok(part) }, { code: 'KEYDIFF_NOT_SORTED' })
  } finally {
    await server.removeBucket(bucket)
  }
})
