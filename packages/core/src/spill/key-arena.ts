import { readKey, writeKey } from './records.ts'

/** Keys as length-prefixed UTF-8 in one growing buffer; a key is named by its offset. */
export class KeyArena {
  buffer = Buffer.allocUnsafe(64 * 1024)
  private end = 0

  get byteLength (): number {
    return this.buffer.length
  }

  append (key: string): number {
    const need = 4 + key.length * 3
    if (this.end + need > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.end + need))
      this.buffer.copy(bigger, 0, 0, this.end)
      this.buffer = bigger
    }
    const at = this.end
    this.end = writeKey(this.buffer, at, key)
    return at
  }

  read (at: number): string {
    return readKey(this.buffer, at)
  }
}
