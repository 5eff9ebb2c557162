const REPLACEMENT = '\uFFFD'

/**
 * What a sink reports for a key whose file is not there: nothing (already gone is a
 * success), unless the key holds U+FFFD, the replacement character that decoding puts in
 * place of bytes that are not UTF-8. Such a key may come from a file name that no key can
 * name (listed by another tool), whose file is then still there: never report it done.
 */
export function missingFileReason (key: string): string | undefined {
  if (!key.includes(REPLACEMENT)) return undefined
  return 'no file has this name; a key holding U+FFFD may stand for a file name that is not valid UTF-8, which no key can name, so it is not reported done'
}
