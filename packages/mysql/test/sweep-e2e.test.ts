import { sweepTests } from '@keydiff/sql-kit/testing'
import { openTarget } from './sql-target.ts'

sweepTests(openTarget)
