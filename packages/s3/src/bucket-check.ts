import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3'
import { SinkError } from '@keydiff/core'
import { errorMessage, httpStatus } from './retry.ts'

/**
 * Confirms, once per sink, that the bucket exists: S3 answers a HeadObject in a missing
 * bucket with the same bare 404 as a missing object, which a sink would count as done.
 * Asked only when an object is found gone. A 403 (no s3:ListBucket) tells nothing and passes.
 */
export function bucketCheck (client: S3Client, bucket: string, sink: string): (signal?: AbortSignal) => Promise<void> {
  let checked: Promise<void> | undefined
  const check = async (signal?: AbortSignal): Promise<void> => {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: signal })
    } catch (error) {
      if (httpStatus(error) === 403) return
      checked = undefined
      throw new SinkError(`bucket ${bucket} cannot be read: ${errorMessage(error)}`, { adapter: 's3', target: sink, cause: error })
    }
  }
  return async signal => {
    checked ??= check(signal)
    await checked
  }
}
