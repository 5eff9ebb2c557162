/** Databases that hold the server's own state; never candidates, never dropped. */
export const SYSTEM_DATABASES: ReadonlySet<string> = new Set(['admin', 'local', 'config'])

export function isSystemDatabase (name: string): boolean {
  return SYSTEM_DATABASES.has(name)
}

/** `system.*` collections (views, profile, js, buckets) belong to the server. */
export function isSystemCollection (name: string): boolean {
  return name.startsWith('system.')
}

/** Which names a source lists: a regular expression or a predicate. */
export type NamePattern = RegExp | ((name: string) => boolean)

export function matches (pattern: NamePattern | undefined, name: string): boolean {
  if (pattern === undefined) return true
  if (typeof pattern === 'function') return pattern(name)
  pattern.lastIndex = 0
  return pattern.test(name)
}
