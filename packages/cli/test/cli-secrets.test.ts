import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import { checkDatabaseUrl, hidePassword, urlWithoutPassword } from '../src/run/database-url.ts'
import { withoutPasswords } from '../src/printable.ts'
import { runMain } from './run-cli.ts'

const PASSWORD = 'Pw7secretXyz'

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keydiff-secrets-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

const malformed: Record<'postgres' | 'mysql' | 'mongo', string[]> = {
  postgres: [
    `postgres:/user:${PASSWORD}@localhost/db`,
    `postgres//user:${PASSWORD}@localhost/db`,
    `user:${PASSWORD}@localhost/db`,
    `postgres://user:${PASSWORD}@localhost:99999/db`,
    `postgres://user:${PASSWORD}@localhost:port/db`,
    `postgres://user:${PASSWORD}@[::1/db`,
    `postgres://user:${PASSWORD}@local host/db`,
    `postgres://user:${PASSWORD.slice(0, 4)}/${PASSWORD.slice(4)}@localhost/db`,
    `postgresql://user:${PASSWORD}@127.0.0.1:1/db`,
    `mysql://user:${PASSWORD}@127.0.0.1:1/db`
  ],
  mysql: [
    `mysql:/user:${PASSWORD}@localhost/db`,
    `mysql//user:${PASSWORD}@localhost/db`,
    `mysql://user:${PASSWORD}@localhost:99999/db`,
    `mysql://user:${PASSWORD}@localhost:port/db`,
    `mysql://user:${PASSWORD.slice(0, 4)}#${PASSWORD.slice(4)}@localhost/db`,
    `mysql://user:${PASSWORD}@127.0.0.1:1/db`
  ],
  mongo: [
    `mongodb:/user:${PASSWORD}@localhost/db`,
    `mongodb//user:${PASSWORD}@localhost/db`,
    `mongodb://user:${PASSWORD}@localhost:99999/db`,
    `mongodb://user:${PASSWORD}@localhost:port/db`,
    `mongodb+srv://user:${PASSWORD}@localhost:27017/db`,
    `mongodb://user:${PASSWORD}@localhost/db?notAnOption=1`,
    `mongodb://user:${PASSWORD}@localhost/db?authMechanism=${PASSWORD}`,
    `mongodb://user:${PASSWORD}@127.0.0.1:1/db?serverSelectionTimeoutMS=300`
  ]
}

const referenceOf = { postgres: '{ database = "db", table = "files", column = "path" }', mysql: '{ database = "db", table = "files", column = "path" }', mongo: '{ database = "db", collection = "files", field = "path" }' }

for (const [type, urls] of Object.entries(malformed) as Array<[keyof typeof malformed, string[]]>) {
  test(`keydiff run: a malformed or unreachable ${type} URL fails without printing its password`, async () => {
    for (const url of urls) {
      const file = join(dir, `${type}.toml`)
      await writeFile(file, `
[stores.local]
type = "directory"
path = "${dir}"

[databases.db]
type = "${type}"
url = "\${KEYDIFF_TEST_URL}"
connectTimeout = "2s"

[[runs]]
name = "r"
candidates = { store = "local" }
references = [${referenceOf[type]}]
`)
      process.env.KEYDIFF_TEST_URL = url
      try {
        const result = await runMain(['run', '--config', file])
        assert.ok(result.code === 1 || result.code === 2, `${url}: exit ${result.code}: ${result.stderr}`)
        assert.ok(!result.stderr.includes(PASSWORD) && !result.stderr.includes(PASSWORD.slice(4)), `${url} printed its password: ${result.stderr}`)
        assert.match(result.stderr, /KEYDIFF_CONNECTION_FAILED|databases\.db\.url/, url)
      } finally {
        delete process.env.KEYDIFF_TEST_URL
      }
    }
  })
}

test('property: for any URL holding a password, however malformed, neither the URL check, the printed endpoint nor the last guard shows it', () => {
  const passwordChar = fc.constantFrom(...'abcXYZ0129-_.~!$&*+=;,/?#@:%'.split(''))
  fc.assert(fc.property(
    fc.constantFrom('postgres', 'mysql', 'mongo'),
    fc.constantFrom('postgres', 'postgresql', 'mysql', 'mongodb', 'mongodb+srv', 'http', ''),
    fc.constantFrom('://', ':/', ':', '//', ':///', ''),
    fc.stringMatching(/^[a-z]{0,6}$/),
    fc.array(passwordChar, { minLength: 4, maxLength: 16 }).map(chars => `Pw7${chars.join('')}`),
    fc.constantFrom('localhost', '127.0.0.1:5432', '[::1]:1', 'db.example:abc', 'a,b:2', ''),
    fc.constantFrom('/db', '', '/db?sslmode=require', '/d@b'),
    (type, scheme, separator, user, password, host, tail) => {
      const url = `${scheme}${separator}${user}:${password}@${host}${tail}`
      let message = ''
      try {
        checkDatabaseUrl('db', type, url)
      } catch (error) {
        message = (error as Error).message
      }
      for (const shown of [message, urlWithoutPassword(url), hidePassword(`failed: ${url} (${password})`, url), withoutPasswords(`failed: ${url}`)]) {
        assert.ok(!shown.includes(password), `${JSON.stringify(url)} shows its password in ${JSON.stringify(shown)}`)
      }
    }
  ), { numRuns: 2000 })
})
