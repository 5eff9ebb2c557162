import { InventoryError } from './errors.ts'

/** One data file of an inventory report, as the manifest lists it. */
export interface InventoryFile {
  readonly key: string
  readonly size?: number | undefined
  readonly MD5checksum?: string | undefined
}

/** The parts of an S3 Inventory `manifest.json` that a reader needs. */
export interface InventoryManifest {
  readonly sourceBucket: string
  /** The bucket the data files are in (the manifest holds its ARN). */
  readonly destinationBucket: string
  readonly fileFormat: string
  /** Column names, in order. */
  readonly columns: readonly string[]
  readonly files: readonly InventoryFile[]
  readonly creationTimestamp: Date | undefined
}

/** Parses and checks a manifest; anything missing or unsupported is named. */
export function parseManifest (text: string, where: string): InventoryManifest {
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(text) as Record<string, unknown>
  } catch (error) {
    throw new InventoryError(where, `manifest.json is not JSON: ${(error as Error).message}`, { cause: error })
  }
  const field = (name: string): string => {
    const value = raw[name]
    if (typeof value !== 'string' || value === '') throw new InventoryError(where, `manifest.json has no ${name}`)
    return value
  }
  const fileFormat = field('fileFormat')
  if (fileFormat.toUpperCase() !== 'CSV') throw new InventoryError(where, `fileFormat ${fileFormat} is not read yet (CSV is; ORC and Parquet are not)`)
  const columns = field('fileSchema').split(',').map(column => column.trim())
  for (const needed of ['Key']) if (!columns.includes(needed)) throw new InventoryError(where, `fileSchema has no ${needed} column`)
  if (!Array.isArray(raw.files)) throw new InventoryError(where, 'manifest.json has no files list')
  const files = (raw.files as unknown[]).map((file, i) => {
    const entry = file as InventoryFile
    if (typeof entry?.key !== 'string') throw new InventoryError(where, `files[${i}] has no key`)
    return { key: entry.key, size: entry.size, MD5checksum: entry.MD5checksum }
  })
  const timestamp = Number(raw.creationTimestamp)
  return {
    sourceBucket: field('sourceBucket'),
    destinationBucket: field('destinationBucket').replace(/^arn:aws:s3:::/, ''),
    fileFormat,
    columns,
    files,
    creationTimestamp: Number.isFinite(timestamp) ? new Date(timestamp) : undefined
  }
}
