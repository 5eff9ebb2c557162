import { isUtf8 } from 'node:buffer'

/**
 * A file name as printable text: valid UTF-8 sequences kept, every other byte (an invalid
 * sequence, a control character) and the backslash written as `\xNN`, so `bad\xff.txt`
 * names the file with byte 0xff and cannot be mistaken for it once decoded.
 */
export function escapeFileName (name: Buffer): string {
  let out = ''
  for (let i = 0; i < name.length;) {
    const byte = name[i] as number
    const length = byte < 0x80 ? 1 : byte >= 0xc2 && byte <= 0xdf ? 2 : byte >= 0xe0 && byte <= 0xef ? 3 : byte >= 0xf0 && byte <= 0xf4 ? 4 : 0
    if (length === 1) {
      out += byte < 0x20 || byte === 0x7f || byte === 0x5c ? hex(byte) : String.fromCharCode(byte)
      i++
    } else if (length > 1 && i + length <= name.length && isUtf8(name.subarray(i, i + length))) {
      out += name.toString('utf8', i, i + length)
      i += length
    } else {
      out += hex(byte)
      i++
    }
  }
  return out
}

function hex (byte: number): string {
  return `\\x${byte.toString(16).padStart(2, '0')}`
}
