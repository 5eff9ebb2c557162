/**
 * The references that may name another key than their text once a plan resolves them against
 * its store: a URI (`s3://bucket/key`), an absolute path, a percent escape kept in both
 * spellings, `\`, and a trailing `/`, `//` or `.` segments that a directory store collapses. A range of the
 * key space can only leave out references that match it not: a shard keeps these whatever
 * its range, and a query that reads a range must read them too. Written in the syntax
 * JavaScript, PostgreSQL, MySQL and MongoDB read alike, so one pattern serves every side.
 */
export const MAY_RESOLVE_ELSEWHERE = '[%:\\\\]|^/|/$|//|(^|/)\\.\\.?(/|$)'

const pattern = new RegExp(MAY_RESOLVE_ELSEWHERE)

/** Whether a reference may name another key than its text once resolved against the store. */
export function mayResolveElsewhere (key: string): boolean {
  return pattern.test(key)
}
