import { closeSync, openSync, writeSync } from 'node:fs'

const HEX = Buffer.from('0123456789abcdef')
const KEY_BYTES = 53 // `blobs/ab/cd/` + 40 hex + newline

// splitmix32: a key's bytes are a pure function of its number, so files are reproducible.
function mix (x: number): number {
  x = (x + 0x9e3779b9) | 0
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

function writeKey (out: Buffer, at: number, id: number): void {
  out.write('blobs/', at, 'latin1')
  let word = 0
  for (let i = 0; i < 40; i++) {
    if ((i & 7) === 0) word = mix(id * 5 + (i >>> 3))
    out[at + 12 + i] = HEX[(word >>> ((7 - (i & 7)) * 4)) & 15] as number
  }
  out[at + 6] = out[at + 12] as number
  out[at + 7] = out[at + 13] as number
  out[at + 8] = 47
  out[at + 9] = out[at + 14] as number
  out[at + 10] = out[at + 15] as number
  out[at + 11] = 47
  out[at + 52] = 10
}

/**
 * The DESIGN.md workload: n references and n candidates shaped like `blobs/ab/cd/<40 hex>`;
 * candidate j is an orphan when j % 10 = 0; reference i is missing when i % 20 = 0 and repeats
 * reference i - 5 when i % 20 = 10. So there are exactly n/10 orphans and n/20 missing keys
 * (n a multiple of 20).
 */
export function writeWorkload (candidates: string, references: string, n: number): void {
  const chunk = 65536
  const out = Buffer.allocUnsafe(chunk * KEY_BYTES)
  for (const [path, side] of [[candidates, 0], [references, 1]] as const) {
    const fd = openSync(path, 'w')
    for (let start = 0; start < n; start += chunk) {
      const end = Math.min(n, start + chunk)
      for (let i = start; i < end; i++) {
        const id = side === 0 ? (i % 10 === 0 ? 4 * n + i : i) : (i % 20 === 0 ? 2 * n + i : i % 20 === 10 ? i - 5 : i)
        writeKey(out, (i - start) * KEY_BYTES, id)
      }
      writeSync(fd, out, 0, (end - start) * KEY_BYTES)
    }
    closeSync(fd)
  }
}

/** The keys numbered 0 to n - 1 of the workload's key space, as strings (for in-memory benchmarks). */
export function workloadKeys (n: number): string[] {
  const out = Buffer.allocUnsafe(KEY_BYTES)
  const keys = new Array<string>(n)
  for (let i = 0; i < n; i++) {
    writeKey(out, 0, i)
    keys[i] = out.toString('latin1', 0, KEY_BYTES - 1)
  }
  return keys
}
