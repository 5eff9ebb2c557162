import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'

interface PackageJson {
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
}

/**
 * The published form of an adapter that bundles @keydiff/sql-kit: builds it, packs it, and
 * checks that the tarball neither depends on the private package nor imports it, and that
 * its bundle imports only Node's modules and the packages it declares.
 */
export function packedTests (packageDir: string): void {
  test('the packed package is self-contained: no dependency on @keydiff/sql-kit, and its bundle imports only what it declares', () => {
    const run = (command: string, args: string[], cwd: string): string => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } })
    const work = mkdtempSync(join(tmpdir(), 'keydiff-packed-'))
    try {
      run('npm', ['run', 'build', '--silent'], packageDir)
      const tarball = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], packageDir)) as Array<{ filename: string }>
      run('tar', ['-xzf', join(work, (tarball[0] as { filename: string }).filename)], work)
      const root = join(work, 'package')
      const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson
      const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}), ...Object.keys(manifest.optionalDependencies ?? {})])
      assert.ok(!declared.has('@keydiff/sql-kit'), 'the private kit is not a dependency of the published package')
      const files = readdirSync(join(root, 'dist'), { recursive: true, encoding: 'utf8' }).filter(file => /\.(js|d\.ts)$/.test(file))
      assert.ok(files.includes('index.js') && files.includes('index.d.ts'))
      for (const file of files) {
        const text = readFileSync(join(root, 'dist', file), 'utf8')
        const imported = [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"'.][^"']*)["']/g)].map(match => match[1] as string)
        for (const specifier of imported) {
          const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0] as string
          assert.ok(declared.has(name) || specifier.startsWith('node:') || builtinModules.includes(name), `dist/${file} imports ${specifier}, which the package does not declare`)
        }
      }
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  })
}
