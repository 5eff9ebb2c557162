'use strict'
// Runs s3rver in its own process: s3rver 3.7.1 needs --openssl-legacy-provider on Node 20+
// (it signs continuation tokens with a cipher that OpenSSL 3 only offers there).
const S3rver = require('s3rver')

const directory = process.argv[2]
const allowMismatchedSignatures = process.argv[3] === 'lenient'
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, allowMismatchedSignatures })
server.run().then(address => {
  process.stdout.write(JSON.stringify({ port: address.port }) + '\n')
}, error => {
  process.stderr.write(String(error && error.stack) + '\n')
  process.exit(1)
})
process.on('SIGTERM', () => { server.close().finally(() => process.exit(0)) })
