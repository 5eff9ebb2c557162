/**
 * A ledger key as bytes, and back. Well-formed keys are their UTF-8 bytes. A key with a lone
 * surrogate (a JavaScript string need not be valid Unicode) is encoded as WTF-8: the
 * surrogate as the three bytes UTF-8 would give its code point. UTF-8 proper would turn every
 * lone surrogate into U+FFFD, so two distinct keys would share one entry, and a key seen for
 * the first time could inherit another's age; WTF-8's surrogate bytes (`ED A0..BF xx`) are
 * never valid UTF-8, so the encoding stays one-to-one.
 */
const SURROGATE = /[\ud800-\udfff]/

export function encodeLedgerKey (key: string, prefix: number): Buffer {
  if (!SURROGATE.test(key)) {
    const out = Buffer.allocUnsafe(1 + Buffer.byteLength(key, 'utf8'))
    out[0] = prefix
    out.write(key, 1, 'utf8')
    return out
  }
  const bytes: number[] = [prefix]
  for (let i = 0; i < key.length; i++) {
    let c = key.charCodeAt(i)
    const next = key.charCodeAt(i + 1)
    if (c >= 0xd800 && c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
      c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00)
      i++
    }
    if (c < 0x80) bytes.push(c)
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f))
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f))
    else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f))
  }
  return Buffer.from(bytes)
}

/** The key of an encoded ledger key, skipping its prefix byte. */
export function decodeLedgerKey (bytes: Buffer): string {
  // Only WTF-8's surrogate bytes start with ED A0..BF; anything else decodes as UTF-8.
  let wtf = false
  for (let i = 1; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0xed && (bytes[i + 1] as number) >= 0xa0) { wtf = true; break }
  }
  if (!wtf) return bytes.toString('utf8', 1)
  let out = ''
  for (let i = 1; i < bytes.length;) {
    const b = bytes[i] as number
    const width = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4
    let c = width === 1 ? b : b & (0xff >> (width + 1))
    for (let k = 1; k < width; k++) c = (c << 6) | ((bytes[i + k] as number) & 0x3f)
    out += String.fromCodePoint(c)
    i += width
  }
  return out
}
