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

/** What a random-order workload holds: its line counts and the orphans an exact diff finds. */
export interface RandomWorkload {
  candidates: number
  references: number
  orphans: number
  missing: number
}

/**
 * The random-order workload (DESIGN.md's second shape): n distinct references, 5% of them
 * missing (no candidate has them), and candidates of which 15% are orphans, each side in its
 * own random order (a seeded shuffle, so files are reproducible). At n = 20M: 20M references,
 * about 22.4M candidates. An engine that gains from both sides sharing an order gains nothing
 * here.
 */
export function writeRandomWorkload (candidates: string, references: string, n: number): RandomWorkload {
  const missing = Math.floor(n / 20)
  const matched = n - missing
  const orphans = Math.round(matched * 15 / 85)
  // Ids [0, missing) are references only, [missing, n) both sides, [n, n + orphans) candidates
  // only; ids start past the same-order workload's (5n) so the two shapes share no keys.
  const base = 5 * n
  const referenceIds = shuffled(n, 0, 0x5eed1)
  const candidateIds = shuffled(matched + orphans, missing, 0x5eed2)
  writeIds(references, referenceIds, base)
  writeIds(candidates, candidateIds, base)
  return { candidates: candidateIds.length, references: n, orphans, missing }
}

/** The ids from, from + 1, ..., from + count - 1 in a seeded random order (Fisher–Yates). */
function shuffled (count: number, from: number, seed: number): Uint32Array {
  const ids = new Uint32Array(count)
  for (let i = 0; i < count; i++) ids[i] = from + i
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(mix((seed + i) | 0) / 4294967296 * (i + 1))
    const t = ids[i] as number
    ids[i] = ids[j] as number
    ids[j] = t
  }
  return ids
}

function writeIds (path: string, ids: Uint32Array, base: number): void {
  const chunk = 65536
  const out = Buffer.allocUnsafe(chunk * KEY_BYTES)
  const fd = openSync(path, 'w')
  for (let start = 0; start < ids.length; start += chunk) {
    const end = Math.min(ids.length, start + chunk)
    for (let i = start; i < end; i++) writeKey(out, (i - start) * KEY_BYTES, base + (ids[i] as number))
    writeSync(fd, out, 0, (end - start) * KEY_BYTES)
  }
  closeSync(fd)
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
