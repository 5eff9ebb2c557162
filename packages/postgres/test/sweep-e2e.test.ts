import { after, before } from 'node:test'
import { sweepTests, type SqlTestTarget } from '@keydiff/sql-kit/testing'
import { openDatabase, type TestDatabase } from './helpers.ts'
import { sqlTarget } from './sql-target.ts'

let db: TestDatabase
let target: SqlTestTarget
before(async () => {
  db = await openDatabase()
  target = sqlTarget(db)
})
after(async () => { await db.close() })

sweepTests(() => target)
