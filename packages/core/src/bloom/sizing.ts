/**
 * Sizing of a split-block Bloom filter from the rate a blocked filter really has. The
 * Parquet spec's simple formula treats the filter as unblocked and is 1.5–2.5× optimistic;
 * here the false-positive rate is a Poisson mixture over block loads: a block holding k keys
 * has 8 words each with 1-(31/32)^k of its bits set, and a probe must hit one set bit in
 * each of the 8 words.
 */
export const BLOCK_BYTES = 32
const WORD_BITS = 32
const WORDS = 8

/** Predicted false-positive rate for `count` keys in `blocks` blocks. */
export function predictedFalsePositiveRate (count: number, blocks: number): number {
  if (count <= 0) return 0
  if (blocks <= 0) return 1
  const lambda = count / blocks
  // Sum the Poisson mixture around its mean; terms far from it are negligible.
  const spread = Math.ceil(10 * Math.sqrt(lambda) + 20)
  const low = Math.max(0, Math.floor(lambda) - spread)
  const high = Math.ceil(lambda) + spread
  let logP = -lambda + low * Math.log(lambda) - logFactorial(low)
  let rate = 0
  for (let k = low; k <= high; k++) {
    if (k > low) logP += Math.log(lambda) - Math.log(k)
    const wordHit = 1 - Math.pow(1 - 1 / WORD_BITS, k)
    rate += Math.exp(logP) * Math.pow(wordHit, WORDS)
  }
  return Math.min(1, rate)
}

function logFactorial (n: number): number {
  let sum = 0
  for (let i = 2; i <= n; i++) sum += Math.log(i)
  return sum
}

/** The fewest blocks that keep `count` keys at or under the target false-positive rate. */
export function blocksFor (count: number, falsePositiveRate: number): number {
  if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) throw new RangeError('falsePositiveRate must be between 0 and 1')
  const n = Math.max(1, Math.ceil(count))
  let low = 1
  let high = Math.max(1, Math.ceil(n / 2))
  while (predictedFalsePositiveRate(n, high) > falsePositiveRate) high *= 2
  while (low < high) {
    const mid = Math.floor((low + high) / 2)
    if (predictedFalsePositiveRate(n, mid) <= falsePositiveRate) high = mid
    else low = mid + 1
  }
  return low
}

/** The most keys that `blocks` blocks hold at or under the target false-positive rate. */
export function keysWithin (blocks: number, falsePositiveRate: number): number {
  if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) throw new RangeError('falsePositiveRate must be between 0 and 1')
  let low = 0
  let high = Math.max(1, blocks)
  while (predictedFalsePositiveRate(high, blocks) <= falsePositiveRate) high *= 2
  // predicted(low) <= rate < predicted(high)
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2)
    if (predictedFalsePositiveRate(mid, blocks) <= falsePositiveRate) low = mid
    else high = mid
  }
  return low
}

/** Bits per key that a target rate needs (about 10.5 for 1%, 17 for 0.1%). */
export function bitsPerKeyFor (falsePositiveRate: number): number {
  const count = 1_000_000
  return blocksFor(count, falsePositiveRate) * BLOCK_BYTES * 8 / count
}
