// The HTML report test renders the report in headless Chromium and reads the pixels. No
// registry package ships a Chromium that runs here on Node 20 (@sparticuz/chromium needs
// Node 22 and hung in its GPU process on this machine), so the test run brings Debian's own
// package, as a fresh machine of this kind allows, and says so in one line.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const wanted = process.env.CHROMIUM ?? '/usr/bin/chromium'
if (existsSync(wanted)) process.exit(0)

const canInstall = process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')
if (!canInstall) {
  console.error(`[keydiff] no Chromium at ${wanted}: the HTML report test will fail; install Debian's chromium or set CHROMIUM`)
  process.exit(0)
}
console.error('[keydiff] installing Debian\'s chromium for the HTML report test (apt-get install chromium)')
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env })
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: ['ignore', 'ignore', 'inherit'], env })
} catch (error) {
  console.error(`[keydiff] apt-get install chromium failed (${error.message.split('\n')[0]}): the HTML report test will fail`)
}
