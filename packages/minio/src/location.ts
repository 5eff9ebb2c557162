import type { Client } from 'minio'
import type { OptionChecks } from '@keydiff/s3/adapter'

/** `minio://bucket/key`, the way keydiff names a place in a MinIO store in errors and logs. */
export function minioUrl (bucket: string, key = ''): string {
  return `minio://${bucket}/${key}`
}

/** `http://host:port` of the client, for messages (the client holds no credentials in it). */
export function endpointOf (client: Client): string {
  const { protocol, host, port } = client as unknown as { protocol?: string, host?: string, port?: number }
  return `${protocol ?? 'http:'}//${host ?? '?'}${port === undefined ? '' : `:${port}`}`
}

/** The `Minio.Client` and bucket of a factory's options, checked: both are required. */
export function minioTarget (check: OptionChecks, options: { client?: Client | undefined, bucket?: string | undefined }): { client: Client, bucket: string } {
  const client = check.required('client', options.client)
  if (typeof client.listObjectsV2Query !== 'function') throw check.invalid('client', 'is not a Minio.Client (it has no listObjectsV2Query method)')
  return { client, bucket: check.bucket(options.bucket) }
}
