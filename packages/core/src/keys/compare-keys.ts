/**
 * Compares two keys in UTF-8 byte order, the order of S3 and GCS listings, `COLLATE "C"`
 * and MongoDB's simple collation. JavaScript's `<` compares UTF-16 code units, which
 * differs from UTF-8 only where a surrogate (U+D800–U+DFFF, i.e. a code point above U+FFFF)
 * meets a code unit of U+E000–U+FFFF: in UTF-8 the astral code point sorts above; in UTF-16
 * below. Shifting those two ranges restores byte order without encoding anything.
 */
export function compareKeys (a: string, b: string): number {
  if (a === b) return 0
  const n = a.length < b.length ? a.length : b.length
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) return fixup(x) - fixup(y)
      return x - y
    }
  }
  return a.length - b.length
}

function fixup (unit: number): number {
  if (unit >= 0xe000) return unit - 0x800
  return unit + 0x2000
}
