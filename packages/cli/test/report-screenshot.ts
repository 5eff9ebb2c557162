import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { decodePng } from './png.ts'

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'

export type Png = ReturnType<typeof decodePng>

/** Fails a test's `before` with how to get a browser, when there is none. */
export function requireChromium (): void {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: npm test installs Debian's chromium when run as root (scripts/ensure-chromium.mjs); else apt-get install chromium, or set CHROMIUM`)
}

/** Renders a page in headless Chromium, 1200 px wide, and decodes the screenshot. */
export async function screenshot (html: string, dir: string, name: string, height = 1600): Promise<Png> {
  const page = join(dir, `${name}.html`)
  const shot = join(dir, `${name}.png`)
  await writeFile(page, html)
  await promisify(execFile)(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${join(dir, 'profile')}`, '--hide-scrollbars',
    `--window-size=1200,${height}`, `--screenshot=${shot}`, `file://${page}`
  ], { timeout: 60_000 })
  const png = decodePng(await readFile(shot))
  assert.equal(png.width, 1200)
  return png
}

/** Pixels within 2 of a colour in each channel. */
export function countColor (png: Png, hex: string): number {
  const target = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16))
  let count = 0
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const [r, g, b] = png.pixel(x, y)
      if (Math.abs(r - (target[0] as number)) <= 2 && Math.abs(g - (target[1] as number)) <= 2 && Math.abs(b - (target[2] as number)) <= 2) count++
    }
  }
  return count
}
