export { s3Source } from './s3-source.ts'
export type { S3SourceOptions } from './s3-source.ts'
export { decodeS3Url } from './url-encoding.ts'
export { S3SinkError, InventoryError } from './errors.ts'
