// Rows per second streamed out of MySQL/MariaDB, from a table of KEYDIFF_BENCH_ROWS (default
// 5M) keys shaped like `blobs/ab/cd/<40 hex>` (52 bytes), generated server-side.
import mysql from 'mysql2'
import { mysqlReferences, type MysqlReferencesOptions } from '../src/index.ts'

const url = new URL(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test')
const rows = Number(process.env.KEYDIFF_BENCH_ROWS ?? 5_000_000)
const database = `keydiff_bench_${process.pid}`
const admin = mysql.createPool({ uri: url.toString(), connectionLimit: 1 })
const query = async (sql: string): Promise<void> => await new Promise<void>((resolve, reject) => {
  admin.query(sql, error => { if (error !== null) reject(error); else resolve() })
})
const digits = '(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)'
const places = Math.ceil(Math.log10(rows + 1))
const names = Array.from({ length: places }, (_, i) => `d${i}`)
const numbers = `SELECT ${names.map((name, i) => `${name}.d * ${10 ** i}`).join(' + ')} + 1 AS n FROM ${names.map(name => `${digits} ${name}`).join(', ')} HAVING n <= ${rows}`

await query(`CREATE DATABASE ${database}`)
url.pathname = `/${database}`
const pool = mysql.createPool({ uri: url.toString(), connectionLimit: 2 })
try {
  let t = performance.now()
  await query(`CREATE TABLE ${database}.refs (k VARCHAR(64) NOT NULL) ENGINE=InnoDB`)
  await query(`INSERT INTO ${database}.refs SELECT CONCAT('blobs/', SUBSTR(h, 1, 2), '/', SUBSTR(h, 3, 2), '/', h) FROM (SELECT CONCAT(MD5(n), SUBSTR(MD5(-n), 1, 8)) AS h FROM (${numbers}) s) t`)
  console.log(`setup: ${rows} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  const cases: Array<[string, Partial<MysqlReferencesOptions>]> = [
    ['row events, batch 10000', { batchSize: 10_000 }],
    ['row events, batch 1000', { batchSize: 1000 }],
    ['row events, sorted (no index: server sorts)', { sorted: true }]
  ]
  for (const [label, options] of cases) {
    const source = await mysqlReferences({ pool, table: 'refs', column: 'k', ...options })
    t = performance.now()
    let count = 0
    for await (const batch of source) count += batch.length
    const seconds = (performance.now() - t) / 1000
    console.log(`mysql ${label.padEnd(44)} ${count} rows  ${seconds.toFixed(2)} s  ${(count / seconds / 1e6).toFixed(2)}M rows/s`)
  }
} finally {
  await query(`DROP DATABASE IF EXISTS ${database}`)
  await new Promise<void>(resolve => { pool.end(() => resolve()) })
  await new Promise<void>(resolve => { admin.end(() => resolve()) })
}
