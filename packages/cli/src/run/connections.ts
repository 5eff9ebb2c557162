import { KeydiffError } from '@keydiff/core'
import type { DatabaseConfig, MongoDatabaseConfig, MysqlDatabaseConfig, PostgresDatabaseConfig } from '../config/config-types.ts'
import { importPeer } from '../drivers/import-peer.ts'
import { checkDatabaseUrl, hidePassword, urlWithoutPassword } from './database-url.ts'
import { DEFAULT_TIMEOUTS, durationMs } from './timeouts.ts'

/**
 * The clients a run opened, by database name, closed together at the end of the command.
 * Each is opened with the connect, statement or request, and keepalive timeouts of its
 * config (DEFAULT_TIMEOUTS when left out), and its URL is checked first, so that neither a
 * silent server nor a malformed URL can hang the run or print a password.
 */
export class Connections {
  private readonly open = new Map<string, { client: unknown, close: () => Promise<void> }>()

  constructor (private readonly databases: Record<string, DatabaseConfig>) {}

  config (name: string): DatabaseConfig {
    const config = this.databases[name]
    if (config === undefined) throw new TypeError(`no database named ${name}`)
    return config
  }

  async postgres (name: string): Promise<import('pg').Pool> {
    return await this.get(name, async () => {
      const { default: pg } = await importPeer(async () => await import('pg'), 'a postgres database', ['pg'])
      const config = this.config(name) as PostgresDatabaseConfig
      checkDatabaseUrl(name, 'postgres', config.url)
      const statementTimeout = durationMs(config.statementTimeout, DEFAULT_TIMEOUTS.statement, 'statementTimeout')
      const pool = new pg.Pool({
        connectionString: config.url,
        max: 4,
        connectionTimeoutMillis: durationMs(config.connectTimeout, DEFAULT_TIMEOUTS.connect, 'connectTimeout'),
        keepAlive: true,
        keepAliveInitialDelayMillis: durationMs(config.keepAlive, DEFAULT_TIMEOUTS.keepAlive, 'keepAlive'),
        ...(statementTimeout === 0 ? {} : { statement_timeout: statementTimeout })
      })
      // An idle client that loses its server emits 'error' on the pool; the next use reports it.
      pool.on('error', () => {})
      return { client: pool, close: async () => { await pool.end() } }
    })
  }

  async mysql (name: string): Promise<import('mysql2').Pool> {
    return await this.get(name, async () => {
      const { default: mysql } = await importPeer(async () => await import('mysql2'), 'a mysql database', ['mysql2'])
      const config = this.config(name) as MysqlDatabaseConfig
      checkDatabaseUrl(name, 'mysql', config.url)
      const pool = mysql.createPool({
        uri: config.url,
        connectionLimit: 4,
        connectTimeout: durationMs(config.connectTimeout, DEFAULT_TIMEOUTS.connect, 'connectTimeout'),
        enableKeepAlive: true,
        keepAliveInitialDelay: durationMs(config.keepAlive, DEFAULT_TIMEOUTS.keepAlive, 'keepAlive')
      })
      const statementTimeout = durationMs(config.statementTimeout, DEFAULT_TIMEOUTS.statement, 'statementTimeout')
      pool.on('connection', connection => {
        connection.on('error', () => {})
        // Queued before any statement of the run on this connection. MariaDB names the limit
        // max_statement_time (seconds), MySQL max_execution_time (milliseconds, reads only).
        if (statementTimeout > 0) {
          connection.query(`SET SESSION max_statement_time = ${statementTimeout / 1000}`, (error: unknown) => {
            if (error !== null && error !== undefined) connection.query(`SET SESSION max_execution_time = ${statementTimeout}`, () => {})
          })
        }
      })
      return { client: pool, close: async () => { await new Promise<void>(resolve => { pool.end(() => { resolve() }) }) } }
    })
  }

  async mongo (name: string): Promise<import('mongodb').MongoClient> {
    return await this.get(name, async () => {
      const { MongoClient } = await importPeer(async () => await import('mongodb'), 'a mongo database', ['mongodb'])
      const config = this.config(name) as MongoDatabaseConfig
      checkDatabaseUrl(name, 'mongo', config.url)
      const connectTimeout = durationMs(config.connectTimeout, DEFAULT_TIMEOUTS.connect, 'connectTimeout')
      let client: import('mongodb').MongoClient
      try {
        client = new MongoClient(config.url, {
          serverSelectionTimeoutMS: connectTimeout,
          connectTimeoutMS: connectTimeout,
          socketTimeoutMS: durationMs(config.requestTimeout, DEFAULT_TIMEOUTS.mongoRequest, 'requestTimeout')
        })
      } catch (error) {
        throw new KeydiffError(`databases.${name}.url: ${hidePassword((error as Error).message ?? String(error), config.url)} (the value is not shown: it may hold a password)`, 'KEYDIFF_CONFIG_INVALID', { cause: error })
      }
      try {
        await client.connect()
      } catch (error) {
        await client.close().catch(() => {})
        throw new KeydiffError(`[mongo] ${urlWithoutPassword(config.url)}: ${hidePassword((error as Error).message ?? String(error), config.url)}`, 'KEYDIFF_CONNECTION_FAILED', { cause: error })
      }
      return { client, close: async () => { await client.close() } }
    })
  }

  /** Closes `close` with the clients, at the end of the command: a store's clients, opened by its driver. */
  closeWith (close: () => Promise<void>): void {
    this.open.set(`close:${this.open.size}`, { client: undefined, close })
  }

  async closeAll (): Promise<void> {
    const all = [...this.open.values()]
    this.open.clear()
    await Promise.allSettled(all.map(async entry => { await entry.close() }))
  }

  private async get<T> (name: string, create: () => Promise<{ client: unknown, close: () => Promise<void> }>): Promise<T> {
    let entry = this.open.get(name)
    if (entry === undefined) {
      entry = await create()
      this.open.set(name, entry)
    }
    return entry.client as T
  }
}
