/** Compares fingerprint i of `a` with fingerprint j of `b` (4 words each) in 128-bit order. */
export function compareFingerprints (a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  const a0 = a[4 * i] as number
  const b0 = b[4 * j] as number
  if (a0 !== b0) return a0 < b0 ? -1 : 1
  const a1 = a[4 * i + 1] as number
  const b1 = b[4 * j + 1] as number
  if (a1 !== b1) return a1 < b1 ? -1 : 1
  const a2 = a[4 * i + 2] as number
  const b2 = b[4 * j + 2] as number
  if (a2 !== b2) return a2 < b2 ? -1 : 1
  const a3 = a[4 * i + 3] as number
  const b3 = b[4 * j + 3] as number
  return a3 === b3 ? 0 : a3 < b3 ? -1 : 1
}

/** Where fingerprint t of `target` is among fingerprints [from, to) of sorted `words`, or -1. */
export function findFingerprint (words: Uint32Array, from: number, to: number, target: Uint32Array, t: number): number {
  let low = from
  let high = to - 1
  while (low <= high) {
    const middle = (low + high) >>> 1
    const c = compareFingerprints(words, middle, target, t)
    if (c === 0) return middle
    if (c < 0) low = middle + 1
    else high = middle - 1
  }
  return -1
}

// Buckets hold about this many fingerprints, few enough for an insertion sort in cache.
const PER_BUCKET = 8
const MAX_BUCKET_BITS = 20

/**
 * The distinct fingerprints of `words[0, 4n)` in 128-bit order, 4 words each, in `into` when it
 * is large enough, else in a new array.
 * One counting-sort pass by the top bits scatters them into buckets of a few fingerprints,
 * which insertion sort finishes where they lie: two sequential passes and one scattered write
 * per fingerprint, rather than a radix sort's passes of scattered reads.
 */
export function sortDistinct (words: Uint32Array, n: number, into?: Uint32Array): Uint32Array {
  const bits = Math.min(MAX_BUCKET_BITS, Math.max(1, Math.ceil(Math.log2(Math.max(2, n / PER_BUCKET)))))
  // Buckets cut the span the first words cover, not all 32 bits: a partition's fingerprints
  // share their top bits, and bucketing by those would leave one huge bucket to insertion sort.
  let low = 0xffffffff
  let high = 0
  for (let i = 0; i < n; i++) {
    const w = words[4 * i] as number
    if (w < low) low = w
    if (w > high) high = w
  }
  const spanBits = n === 0 ? 0 : 32 - Math.clz32(high - low)
  const shift = Math.max(0, spanBits - bits)
  const buckets = 1 << bits
  const starts = new Uint32Array(buckets + 1)
  for (let i = 0; i < n; i++) {
    const b = (((words[4 * i] as number) - low) >>> shift) + 1
    starts[b] = (starts[b] as number) + 1
  }
  for (let b = 1; b <= buckets; b++) starts[b] = (starts[b] as number) + (starts[b - 1] as number)
  const next = starts.slice(0, buckets)
  const out = into !== undefined && into.length >= 4 * n ? into : new Uint32Array(4 * n)
  for (let i = 0; i < n; i++) {
    const b = ((words[4 * i] as number) - low) >>> shift
    const k = 4 * (next[b] as number)
    next[b] = (next[b] as number) + 1
    out[k] = words[4 * i] as number
    out[k + 1] = words[4 * i + 1] as number
    out[k + 2] = words[4 * i + 2] as number
    out[k + 3] = words[4 * i + 3] as number
  }
  for (let b = 0; b < buckets; b++) insertionSort(out, starts[b] as number, starts[b + 1] as number)
  let kept = 0
  for (let k = 0; k < n; k++) {
    if (kept > 0 && compareFingerprints(out, k, out, kept - 1) === 0) continue
    if (kept !== k) out.copyWithin(4 * kept, 4 * k, 4 * k + 4)
    kept++
  }
  return out.subarray(0, 4 * kept)
}

function insertionSort (words: Uint32Array, from: number, to: number): void {
  for (let i = from + 1; i < to; i++) {
    if (compareFingerprints(words, i - 1, words, i) <= 0) continue
    const w0 = words[4 * i] as number
    const w1 = words[4 * i + 1] as number
    const w2 = words[4 * i + 2] as number
    const w3 = words[4 * i + 3] as number
    let j = i
    while (j > from && greater(words, j - 1, w0, w1, w2, w3)) {
      words[4 * j] = words[4 * j - 4] as number
      words[4 * j + 1] = words[4 * j - 3] as number
      words[4 * j + 2] = words[4 * j - 2] as number
      words[4 * j + 3] = words[4 * j - 1] as number
      j--
    }
    words[4 * j] = w0
    words[4 * j + 1] = w1
    words[4 * j + 2] = w2
    words[4 * j + 3] = w3
  }
}

function greater (words: Uint32Array, i: number, w0: number, w1: number, w2: number, w3: number): boolean {
  const a0 = words[4 * i] as number
  if (a0 !== w0) return a0 > w0
  const a1 = words[4 * i + 1] as number
  if (a1 !== w1) return a1 > w1
  const a2 = words[4 * i + 2] as number
  if (a2 !== w2) return a2 > w2
  return (words[4 * i + 3] as number) > w3
}
