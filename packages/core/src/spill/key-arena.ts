import type { HashedBatch } from './hashed-batch.ts'
import { readKey } from './records.ts'

/** Keys as length-prefixed UTF-8 in one growing buffer; a key is named by its offset. */
export class KeyArena {
  buffer = Buffer.allocUnsafe(64 * 1024)
  private end = 0

  get byteLength (): number {
    return this.buffer.length
  }

  /** Appends key i of the batch; returns its offset. */
  append (batch: HashedBatch, i: number): number {
    const need = batch.keyBound(i)
    if (this.end + need > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.end + need))
      this.buffer.copy(bigger, 0, 0, this.end)
      this.buffer = bigger
    }
    const at = this.end
    this.end = batch.writeKey(i, this.buffer, at)
    return at
  }

  read (at: number): string {
    return readKey(this.buffer, at)
  }
}
