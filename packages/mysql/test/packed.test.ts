import { fileURLToPath } from 'node:url'
import { packedTests } from '@keydiff/sql-kit/testing'

packedTests(fileURLToPath(new URL('..', import.meta.url)))
