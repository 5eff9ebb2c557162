import { availableParallelism } from 'node:os'

// Each thread past the second holds an isolate, its heap and its chunks' buffers outside the
// budget: a 20M exact diff at --memory 128MiB peaked at 141, 162, 198, 221 and 268 MiB with
// 2, 3, 4, 6 and 8 threads. A quarter of the budget pays for those past two, so that the
// peak stays within the budget and its allowance of 100 MiB on a machine of many cores.
const THREAD_BYTES = 20 * 1024 * 1024

/** The threads a diff uses when it is not told: the machine's cores, and no more than a budget of `memory` bytes pays for. */
export function defaultThreads (memory: number): number {
  return Math.max(1, Math.min(availableParallelism(), 2 + Math.floor(memory / 4 / THREAD_BYTES)))
}
