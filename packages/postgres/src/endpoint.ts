import type { Pool } from 'pg'

/** `postgres://user@host:port/db` for the pool's settings: what errors name, without the password. */
export function endpointOf (pool: Pool): string {
  const options = (pool as unknown as { options?: Record<string, unknown> }).options ?? {}
  const connectionString = typeof options.connectionString === 'string' ? options.connectionString : undefined
  const fromUrl = connectionString === undefined ? undefined : safeUrl(connectionString)
  // Naming a default host for a string that does not parse would send the reader to the wrong server.
  if (connectionString !== undefined && fromUrl === undefined && str(options.host) === undefined) return 'postgres://(a connection string that is not a URL)'
  const user = str(options.user) ?? nonEmpty(decode(fromUrl?.username)) ?? process.env.PGUSER ?? ''
  const host = str(options.host) ?? nonEmpty(fromUrl?.hostname) ?? process.env.PGHOST ?? 'localhost'
  const port = str(options.port) ?? nonEmpty(fromUrl?.port) ?? process.env.PGPORT ?? '5432'
  const database = str(options.database) ?? nonEmpty(decode(fromUrl?.pathname.slice(1))) ?? process.env.PGDATABASE ?? user
  return `postgres://${user === '' ? '' : `${user}@`}${host}:${port}/${database}`
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === '' ? undefined : value
}

function decode (value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

function str (value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined
}

/**
 * Only a URL with an authority (`scheme://...`) is read: `postgres:/user:secret@host/db` (one
 * slash) parses as a path that holds the password, so it, like any URL that does not parse,
 * contributes nothing to what errors print.
 */
function safeUrl (text: string): URL | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return undefined
  try {
    return new URL(text)
  } catch {
    return undefined
  }
}
