import { createHash, randomBytes } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { KeyEntry } from '@keydiff/core'

let counter = 0

/** A bucket name no other test of this process uses. */
export function uniqueBucket (label = 'kd'): string {
  return `${label}-${process.pid}-${++counter}-${randomBytes(3).toString('hex')}`.toLowerCase()
}

async function forEachLimit<T> (items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await fn(items[next++] as T)
  }))
}

/** See `S3rverServer.createBucket`. */
export async function createBucket (client: S3Client, directory: string, entries: readonly KeyEntry[], bucket = uniqueBucket()): Promise<string> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }))
  if (entries.length > 100) await seedObjects(directory, bucket, entries)
  else await forEachLimit(entries, 16, async entry => { await client.send(new PutObjectCommand({ Bucket: bucket, Key: entry.key, Body: Buffer.alloc(entry.size ?? 1, 120) })) })
  return bucket
}

/** Writes objects as s3rver keeps them: the object, its MD5 and its metadata, a key's segments as folders. */
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

/**
 * Removes the bucket's folder: s3rver's DeleteObjects fails with a 500 when two of its keys
 * empty the same folder at once, and it trims whitespace off keys in XML, so emptying a
 * bucket through the API can leave objects behind.
 */
export async function removeBucket (directory: string, bucket: string): Promise<void> {
  await rm(join(directory, bucket), { recursive: true, force: true })
}

/** No encoding is asked for, so s3rver's keys are taken as it sends them. */
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
