import type { S3Client } from '@aws-sdk/client-s3'
import type { OptionChecks } from './check-options.ts'

/** `s3://bucket/prefix`, the way keydiff names a place in a store in errors and logs. */
export function s3Url (bucket: string, key = ''): string {
  return `s3://${bucket}/${key}`
}

/** The endpoint the client talks to, for error messages; `undefined` when the SDK derives it from the region. */
export async function describeEndpoint (client: S3Client): Promise<string> {
  try {
    const endpoint = await client.config.endpoint?.()
    if (endpoint !== undefined) return `${endpoint.protocol}//${endpoint.hostname}${endpoint.port === undefined ? '' : `:${endpoint.port}`}${endpoint.path === '/' ? '' : endpoint.path}`
    return `AWS S3 in ${await client.config.region()}`
  } catch {
    return 'the configured endpoint'
  }
}

/** The S3Client and bucket of a factory's options, checked: both are required. */
export function s3Target (check: OptionChecks, options: { client?: S3Client | undefined, bucket?: string | undefined }): { client: S3Client, bucket: string } {
  const client = check.required('client', options.client)
  if (typeof client.send !== 'function') throw check.invalid('client', 'is not an S3Client (it has no send method)')
  return { client, bucket: check.bucket(options.bucket) }
}
