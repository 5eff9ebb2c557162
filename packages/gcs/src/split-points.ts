import { InvalidOptionError } from '@keydiff/core'

/**
 * Split points that cut a prefix followed by lower-case hex (content-addressed blobs:
 * `blobs/ab/...`) into `parts` ranges of equal share: `hexSplitPoints('blobs/', 4)` gives
 * `blobs/4`, `blobs/8`, `blobs/c`. Shares are even when names are uniformly hex after the prefix.
 */
export function hexSplitPoints (prefix: string, parts: number): string[] {
  if (!Number.isInteger(parts) || parts < 1 || parts > 256) throw new InvalidOptionError('parts', `must be an integer from 1 to 256, got ${parts}`)
  const points: string[] = []
  for (let i = 1; i < parts; i++) {
    const value = Math.floor(i * 256 / parts)
    const hex = value.toString(16).padStart(2, '0')
    points.push(prefix + (value % 16 === 0 ? hex[0] as string : hex))
  }
  return [...new Set(points)]
}
