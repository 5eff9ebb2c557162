// The plain JS Set peer: every reference in a Set, then each candidate looked up.
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'

const [candidates, references] = process.argv.slice(2) as [string, string]
const lines = (path: string) => createInterface({ input: createReadStream(path), crlfDelay: Infinity })
const set = new Set<string>()
for await (const line of lines(references)) set.add(line)
const seen = new Set<string>()
for await (const line of lines(candidates)) if (!set.has(line)) seen.add(line)
process.stdout.write(JSON.stringify({ orphans: seen.size }) + '\n')
