import { createHash, randomBytes } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { KeyEntry } from '@keydiff/core'

let counter = 0

/** A bucket name no other test uses. */
export function uniqueBucket (label = 'kd'): string {
  return `${label}-${process.pid}-${++counter}-${randomBytes(3).toString('hex')}`.toLowerCase()
}

/** Runs `fn` over `items`, `concurrency` at a time. */
export async function forEachLimit<T> (items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await fn(items[next++] as T)
  }))
}

/**
 * Creates a bucket holding `entries`, each an object of its `size` (default 1) bytes. Given
 * s3rver's data directory, large sets are written straight into its store (the object, its MD5 and
 * metadata files, as s3rver keeps them): PutObject on
 * s3rver manages ~300 objects/s, which would make page-boundary tests take minutes.
 */
export async function createBucket (client: S3Client, entries: readonly KeyEntry[], options: { directory?: string, bucket?: string } = {}): Promise<string> {
  const bucket = options.bucket ?? uniqueBucket()
  await client.send(new CreateBucketCommand({ Bucket: bucket }))
  if (options.directory !== undefined && entries.length > 100) await seedObjects(options.directory, bucket, entries)
  else await putObjects(client, bucket, entries)
  return bucket
}

async function seedObjects (directory: string, bucket: string, entries: readonly KeyEntry[]): Promise<void> {
  const folders = new Map<string, Promise<unknown>>()
  await forEachLimit(entries, 16, async entry => {
    const parts = entry.key.split('/')
    const last = parts.pop() as string
    const folder = join(directory, bucket, ...parts)
    if (!folders.has(folder)) folders.set(folder, mkdir(folder, { recursive: true }))
    await folders.get(folder)
    const body = Buffer.alloc(entry.size ?? 1, 120)
    await writeFile(join(folder, `${last}._S3rver_object`), body)
    await writeFile(join(folder, `${last}._S3rver_object.md5`), createHash('md5').update(body).digest('hex'))
    await writeFile(join(folder, `${last}._S3rver_metadata.json`), '{"content-type":"application/octet-stream"}')
  })
}

export async function putObjects (client: S3Client, bucket: string, entries: readonly KeyEntry[]): Promise<void> {
  await forEachLimit(entries, 16, async entry => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: entry.key, Body: Buffer.alloc(entry.size ?? 1, 120) }))
  })
}

/** Every key of the bucket, read plainly (no encoding asked, so s3rver's output is taken as it is). */
export async function listKeys (client: S3Client, bucket: string, prefix?: string): Promise<string[]> {
  const keys: string[] = []
  let token: string | undefined
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }))
    for (const object of page.Contents ?? []) keys.push(object.Key as string)
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined
  } while (token !== undefined)
  return keys
}

export async function exists (client: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
    return true
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false
    throw error
  }
}

/**
 * Empties and removes a bucket; given s3rver's data directory, by removing its folder. s3rver's DeleteObjects fails with a 500 when two of its keys
 * empty the same directory at once, and trims whitespace off XML keys, so this goes round
 * until nothing is left, the stragglers one by one.
 */
export async function removeBucket (client: S3Client, bucket: string, directory?: string): Promise<void> {
  if (directory !== undefined) {
    await rm(join(directory, bucket), { recursive: true, force: true })
    return
  }
  for (let round = 0; round < 10; round++) {
    const keys = await listKeys(client, bucket)
    if (keys.length === 0) break
    if (round < 5) {
      for (let i = 0; i < keys.length; i += 1000) {
        await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map(Key => ({ Key })) } })).catch(() => {})
      }
    } else {
      for (const Key of keys) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key })).catch(() => {})
    }
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }))
}
