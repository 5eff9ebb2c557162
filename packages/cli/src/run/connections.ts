import type { DatabaseConfig } from '../config/config-types.ts'

/** The clients a run opened, by database name, closed together at the end of the command. */
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
      const { default: pg } = await import('pg')
      const config = this.config(name) as { url: string }
      const pool = new pg.Pool({ connectionString: config.url, max: 4 })
      return { client: pool, close: async () => { await pool.end() } }
    })
  }

  async mysql (name: string): Promise<import('mysql2').Pool> {
    return await this.get(name, async () => {
      const { default: mysql } = await import('mysql2')
      const config = this.config(name) as { url: string }
      const pool = mysql.createPool({ uri: config.url, connectionLimit: 4 })
      return { client: pool, close: async () => { await new Promise<void>(resolve => { pool.end(() => { resolve() }) }) } }
    })
  }

  async mongo (name: string): Promise<import('mongodb').MongoClient> {
    return await this.get(name, async () => {
      const { MongoClient } = await import('mongodb')
      const config = this.config(name) as { url: string }
      const client = await new MongoClient(config.url).connect()
      return { client, close: async () => { await client.close() } }
    })
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
