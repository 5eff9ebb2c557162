// What a user gets from `npm install`: packs core, s3, mongo and gcs (as built: run
// `npm run build` first), installs the tarballs into a fresh project in the temp folder, and
// there imports each testing entry, checks that a missing optional peer is named in a
// KeydiffError, installs the peers the errors name, then starts and stops each stand-in.
// Needs the npm registry for third-party packages; takes about a minute, so the package's
// tests run only its import part (test/testing-entry.test.ts in s3, mongo and gcs).
//   node --import tsx packages/mongo/test/packed-install.ts [--keep]
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const packagesDir = fileURLToPath(new URL('../..', import.meta.url))
const PACKAGES = ['core', 's3', 'mongo', 'gcs']
const PEERS = ['s3rver@^3.7.1', '@push.rocks/smartfs@^1.5.0', '@push.rocks/smartpath@^6.0.0', '@push.rocks/smartpromise@^4.2.3', '@push.rocks/smartrx@^3.0.10', 'bson@^6.10.4', 'mingo@^7.2.7']

const CONSUMER = `
const s3 = await import('@keydiff/s3/testing')
const mongo = await import('@keydiff/mongo/testing')
const gcs = await import('@keydiff/gcs/testing')
const results = {}
const gcsServer = await gcs.startGcsServer()
await gcsServer.close()
results.gcs = 'started'
for (const [name, start] of [['s3', s3.startS3rver], ['mongo', mongo.startTestServer]]) {
  try {
    const server = await start()
    if (name === 'mongo') await (await server.client()).db('keydiff').collection('entry').insertOne({ key: 'a' })
    await server.stop()
    results[name] = 'started'
  } catch (error) {
    results[name] = { name: error.constructor.name, code: error.code, message: error.message }
  }
}
process.stdout.write(JSON.stringify(results))
`

function run (command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '', NODE_NO_WARNINGS: '1' } })
}

const work = mkdtempSync(join(tmpdir(), 'keydiff-packed-'))
try {
  const tarballs = PACKAGES.map(name => {
    const dir = join(packagesDir, name)
    assert.ok(existsSync(join(dir, 'dist')), `${dir}/dist is missing: run npm run build first`)
    return join(work, run('npm', ['pack', '--silent', '--pack-destination', work], dir).trim().split('\n').pop() ?? '')
  })
  const project = join(work, 'consumer')
  mkdirSync(project)
  run('npm', ['init', '-y'], project)
  writeFileSync(join(project, 'check.mjs'), CONSUMER)
  run('npm', ['install', '--no-audit', '--no-fund', ...tarballs], project)

  // A plain install: every entry imports; the stand-ins with optional peers say what to install.
  const plain = JSON.parse(run(process.execPath, ['check.mjs'], project)) as Record<string, { code?: string, message?: string } | string>
  assert.equal(plain.gcs, 'started')
  for (const name of ['s3', 'mongo']) {
    const failure = plain[name] as { name: string, code: string, message: string }
    assert.equal(failure.name, 'KeydiffError', name)
    assert.equal(failure.code, 'KEYDIFF_CONFIG_INVALID', name)
    assert.match(failure.message, /npm install --save-dev/, name)
  }
  assert.match((plain.s3 as { message: string }).message, /s3rver/)
  for (const peer of PEERS.slice(1)) assert.ok((plain.mongo as { message: string }).message.includes(peer), peer)

  run('npm', ['install', '--no-audit', '--no-fund', '--save-dev', ...PEERS], project)
  const withPeers = JSON.parse(run(process.execPath, ['check.mjs'], project)) as Record<string, unknown>
  assert.deepEqual(withPeers, { gcs: 'started', s3: 'started', mongo: 'started' })
  process.stdout.write(`packed install ok: ${JSON.stringify(plain)}\n${JSON.stringify(withPeers)}\n`)
} finally {
  if (process.argv.includes('--keep')) process.stdout.write(`kept ${work}\n`)
  else rmSync(work, { recursive: true, force: true })
}
