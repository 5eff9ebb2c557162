import { createHash, randomBytes } from 'node:crypto'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Client } from 'minio'
import type { KeyEntry } from '@keydiff/core'

let counter = 0

export function uniqueBucket (label = 'kdm'): string {
  return `${label}-${process.pid}-${++counter}-${randomBytes(3).toString('hex')}`.toLowerCase()
}

async function forEachLimit<T> (items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await fn(items[next++] as T)
  }))
}

/**
 * Creates a bucket holding `entries`. Large sets are written straight into s3rver's store
 * (object, MD5 and metadata files, as s3rver keeps them): PutObject on s3rver manages ~300
 * objects/s.
 */
export async function createBucket (client: Client, directory: string, entries: readonly KeyEntry[]): Promise<string> {
  const bucket = uniqueBucket()
  await client.makeBucket(bucket)
  if (entries.length <= 100) {
    await forEachLimit(entries, 8, async entry => { await client.putObject(bucket, entry.key, Buffer.alloc(entry.size ?? 1, 120)) })
    return bucket
  }
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
  return bucket
}

export async function removeBucket (directory: string, bucket: string): Promise<void> {
  await rm(join(directory, bucket), { recursive: true, force: true })
}

export async function exists (client: Client, bucket: string, key: string): Promise<boolean> {
  try {
    await client.statObject(bucket, key)
    return true
  } catch (error) {
    if ((error as { code?: string }).code === 'NotFound' || (error as { code?: string }).code === 'NoSuchKey') return false
    throw error
  }
}
