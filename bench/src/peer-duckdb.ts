// The DuckDB peer, tuned as its docs advise: 2 threads, no insertion order, a spill directory.
// With a fifth argument `missing`, it also counts the references no candidate has, by the
// same query the other way round.
import { DuckDBInstance } from '@duckdb/node-api'

const [candidates, references, memory, spill, also] = process.argv.slice(2) as [string, string, string, string, string | undefined]
const instance = await DuckDBInstance.create(':memory:', { memory_limit: memory, threads: '2', preserve_insertion_order: 'false', temp_directory: spill })
const connection = await instance.connect()
const csv = (path: string): string => `read_csv('${path.replaceAll("'", "''")}', header = false, columns = {'key': 'VARCHAR'}, delim = '\\t', quote = '', escape = '')`
const antiJoin = async (left: string, right: string): Promise<number> => {
  const reader = await connection.runAndReadAll(`SELECT count(*) AS n FROM ${csv(left)} l WHERE NOT EXISTS (SELECT 1 FROM ${csv(right)} r WHERE r.key = l.key)`)
  return Number(reader.getRows()[0]?.[0])
}
const orphans = await antiJoin(candidates, references)
const missing = also === 'missing' ? await antiJoin(references, candidates) : undefined
connection.closeSync()
instance.closeSync()
process.stdout.write(JSON.stringify({ orphans, missing }) + '\n')
