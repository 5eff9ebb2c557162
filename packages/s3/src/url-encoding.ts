/**
 * Decodes a value that S3 returned under `EncodingType=url`. S3 form-encodes there: a space
 * comes back as `+` and a literal `+` as `%2B` (botocore decodes with `unquote_plus` for the
 * same reason), so `+` must become a space before the percent escapes are undone.
 */
export function decodeS3Url (value: string): string {
  return decodeURIComponent(value.replaceAll('+', ' '))
}

/**
 * Encodes a key for the `x-amz-copy-source` header as botocore does: every byte escaped except
 * `/` and the unreserved `A-Z a-z 0-9 - . _ ~` (a raw `?` would start a `versionId`).
 */
export function encodeCopySource (bucket: string, key: string): string {
  const escaped = encodeURIComponent(key).replace(/[!'()*]/g, ch => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`).replaceAll('%2F', '/')
  return `${bucket}/${escaped}`
}
