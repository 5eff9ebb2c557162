import type { Pool } from 'pg'

/** `postgres://user@host:port/db` for the pool's settings: what errors name, without the password. */
export function endpointOf (pool: Pool): string {
  const options = (pool as unknown as { options?: Record<string, unknown> }).options ?? {}
  const fromUrl = typeof options.connectionString === 'string' ? safeUrl(options.connectionString) : undefined
  const user = str(options.user) ?? fromUrl?.username ?? process.env.PGUSER ?? ''
  const host = str(options.host) ?? fromUrl?.hostname ?? process.env.PGHOST ?? 'localhost'
  const port = str(options.port) ?? (fromUrl?.port !== '' ? fromUrl?.port : undefined) ?? process.env.PGPORT ?? '5432'
  const database = str(options.database) ?? fromUrl?.pathname.slice(1) ?? process.env.PGDATABASE ?? user
  return `postgres://${user === '' ? '' : `${user}@`}${host}:${port}/${database}`
}

function str (value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined
}

function safeUrl (text: string): URL | undefined {
  try {
    return new URL(text)
  } catch {
    return undefined
  }
}
