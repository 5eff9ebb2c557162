export interface Part {
  headers: Record<string, string>
  contentType: string | undefined
  body: Buffer
}

const CRLF = Buffer.from('\r\n')
const BLANK = Buffer.from('\r\n\r\n')

export function boundaryOf (contentType: string): string {
  const match = /boundary="?([^";]+)"?/i.exec(contentType)
  if (match?.[1] === undefined) throw new Error(`no boundary in content-type ${contentType}`)
  return match[1]
}

/** Splits a header block (`Name: value` lines) into lower-cased names. */
export function parseHeaders (block: string): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return headers
}

/** Parses a multipart/related or multipart/mixed body into its parts, bytes intact. */
export function parseMultipart (contentType: string, raw: Buffer): Part[] {
  const delimiter = Buffer.from(`--${boundaryOf(contentType)}`)
  const parts: Part[] = []
  let at = raw.indexOf(delimiter)
  while (at >= 0) {
    const start = at + delimiter.length
    if (raw.subarray(start, start + 2).toString() === '--') break
    const next = raw.indexOf(delimiter, start)
    if (next < 0) break
    // A part runs from after the delimiter's line break to the CRLF before the next delimiter.
    let chunk = raw.subarray(start, next)
    if (chunk.subarray(0, 2).equals(CRLF)) chunk = chunk.subarray(2)
    if (chunk.subarray(-2).equals(CRLF)) chunk = chunk.subarray(0, -2)
    const split = chunk.indexOf(BLANK)
    const headerBlock = split < 0 ? chunk.toString() : chunk.subarray(0, split).toString()
    const headers = parseHeaders(headerBlock)
    parts.push({ headers, contentType: headers['content-type'], body: split < 0 ? Buffer.alloc(0) : chunk.subarray(split + 4) })
    at = next
  }
  return parts
}
