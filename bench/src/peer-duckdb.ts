// The DuckDB peer, tuned as its docs advise: 2 threads, no insertion order, a spill directory.
import { DuckDBInstance } from '@duckdb/node-api'

const [candidates, references, memory, spill] = process.argv.slice(2) as [string, string, string, string]
const instance = await DuckDBInstance.create(':memory:', { memory_limit: memory, threads: '2', preserve_insertion_order: 'false', temp_directory: spill })
const connection = await instance.connect()
const csv = (path: string): string => `read_csv('${path.replaceAll("'", "''")}', header = false, columns = {'key': 'VARCHAR'}, delim = '\\t', quote = '', escape = '')`
const reader = await connection.runAndReadAll(`SELECT count(*) AS n FROM ${csv(candidates)} c WHERE NOT EXISTS (SELECT 1 FROM ${csv(references)} r WHERE r.key = c.key)`)
const orphans = Number(reader.getRows()[0]?.[0])
connection.closeSync()
instance.closeSync()
process.stdout.write(JSON.stringify({ orphans }) + '\n')
