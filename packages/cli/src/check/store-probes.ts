import { randomBytes } from 'node:crypto'
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { S3Client } from '@aws-sdk/client-s3'
import type { Storage } from '@google-cloud/storage'
import type { Client as MinioClient } from 'minio'
import type { ActionConfig } from '../config/config-types.ts'

/**
 * A harmless request that needs the permissions of a run's action: a tiny object written
 * under the store's protected `.keydiff/` prefix and removed again. Rejects, naming what was
 * refused, when the store would refuse the action. Used by `keydiff check`.
 */
export type StoreProbe = () => Promise<void>

/** `.keydiff/check-<random>`: inside the prefix no sweep ever plans, and unique per probe. */
function probeKey (): string {
  return `.keydiff/check-${randomBytes(6).toString('hex')}`
}

/** Writes and removes a file in `<root>/.keydiff/`; a `.keydiff/` made for it is removed too. */
export function directoryProbe (root: string): StoreProbe {
  return async () => {
    const directory = join(root, '.keydiff')
    let made = false
    try {
      await mkdir(directory)
      made = true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const file = join(root, probeKey())
    try {
      await writeFile(file, 'keydiff check\n', { flag: 'wx' })
    } finally {
      await rm(file, { force: true })
      if (made) await rmdir(directory).catch(() => {})
    }
  }
}

/**
 * Puts, then deletes an object under `.keydiff/`; a tag action also tags it, a quarantine
 * also copies it to the quarantine (and removes the copy).
 */
export function s3Probe (client: S3Client, bucket: string, action: ActionConfig | undefined): StoreProbe {
  return async () => {
    const { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand, PutObjectTaggingCommand } = await import('@aws-sdk/client-s3')
    const key = probeKey()
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'keydiff check\n' }))
    try {
      if (action?.type === 'tag') {
        await client.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet: [{ Key: 'keydiff-check', Value: 'probe' }] } }))
      }
      if (action?.type === 'quarantine') {
        const trashBucket = action.bucket ?? bucket
        const trashKey = `${action.prefix ?? '.keydiff-trash/'}${key}`
        await client.send(new CopyObjectCommand({ Bucket: trashBucket, Key: trashKey, CopySource: `${bucket}/${encodeURIComponent(key)}` }))
        await client.send(new DeleteObjectCommand({ Bucket: trashBucket, Key: trashKey }))
      }
    } finally {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
    }
  }
}

/** Saves, then deletes an object under `.keydiff/`. */
export function gcsProbe (storage: Storage, bucket: string): StoreProbe {
  return async () => {
    const file = storage.bucket(bucket).file(probeKey())
    await file.save('keydiff check\n', { resumable: false })
    await file.delete()
  }
}

/** Puts, then removes an object under `.keydiff/`. */
export function minioProbe (client: MinioClient, bucket: string): StoreProbe {
  return async () => {
    const key = probeKey()
    await client.putObject(bucket, key, Buffer.from('keydiff check\n'))
    await client.removeObject(bucket, key)
  }
}
