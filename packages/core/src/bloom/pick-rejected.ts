/**
 * The indexes of the keys a filter rejected, from its answers (`checkHashes`: 1 maybe, 0
 * certainly not) for keys [0, count), into `picked` (count long at least), increasing;
 * returns how many. Every index is written and the count advanced by the answer, with no
 * branch: a branch per key mispredicted on about one key in seven rejected (0.12-0.16 s for
 * 22M keys, against 0.03-0.07 s so).
 */
export function pickRejected (answers: Uint8Array, count: number, picked: Uint32Array): number {
  let rejected = 0
  for (let i = 0; i < count; i++) {
    picked[rejected] = i
    rejected += 1 - (answers[i] as number)
  }
  return rejected
}
