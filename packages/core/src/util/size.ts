import { InvalidOptionError } from '../errors.ts'

const UNITS: Record<string, number> = {
  b: 1,
  k: 1e3, kb: 1e3, kib: 1024,
  m: 1e6, mb: 1e6, mib: 1024 ** 2,
  g: 1e9, gb: 1e9, gib: 1024 ** 3,
  t: 1e12, tb: 1e12, tib: 1024 ** 4
}

/** Parses a byte size such as `256MiB`, `1.5GB` or `1048576`; KB/MB/GB are decimal, KiB/MiB/GiB binary. */
export function parseSize (value: string | number, option = 'size'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new InvalidOptionError(option, `${value} is not a size in bytes`)
    return Math.floor(value)
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value)
  const unit = UNITS[(match?.[2] ?? '').toLowerCase() || 'b']
  if (match === null || unit === undefined) throw new InvalidOptionError(option, `${JSON.stringify(value)} is not a size (examples: 128MiB, 2GiB, 500MB, 1048576)`)
  return Math.floor(Number(match[1]) * unit)
}

export function formatBytes (bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 'B'
  for (const next of units) {
    if (value < 1024) break
    value /= 1024
    unit = next
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${unit}`
}
