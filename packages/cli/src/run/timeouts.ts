import { parseDuration } from '@keydiff/core'

/**
 * The network timeouts a config may leave out. Every client the CLI opens gets all of them,
 * so an endpoint that accepts a connection and never answers fails the run instead of
 * holding it forever. Statements and Mongo operations get longer limits than requests to
 * an object store, since one reference scan is one long statement or a run of slow batches.
 */
export const DEFAULT_TIMEOUTS = {
  connect: '10s',
  request: '60s',
  mongoRequest: '5m',
  statement: '1h',
  keepAlive: '30s',
  maxAttempts: 3
} as const

/** A configured duration in whole milliseconds (the schema has checked its shape). */
export function durationMs (value: string | number | undefined, fallback: string, key: string): number {
  return Math.ceil(parseDuration(value ?? fallback, key))
}
