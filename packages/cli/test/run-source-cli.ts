import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { CliResult } from './run-cli.ts'

const SOURCE_BIN = fileURLToPath(new URL('./source-bin.ts', import.meta.url))
const PACKAGE = fileURLToPath(new URL('..', import.meta.url))

/**
 * Runs `keydiff` from the sources of the CLI and of every package (the `keydiff-source`
 * condition), as a child process a test can time and whose stderr is what a user sees.
 * `ms` is the wall time from spawn to exit; `stdout` may be a file descriptor to write to instead of a pipe;
 * `nodeWarnings` keeps Node's process warnings on stderr, as a user's `keydiff` prints them.
 */
export async function runSourceCli (args: string[], options: { env?: NodeJS.ProcessEnv, cwd?: string, stdin?: string, stdout?: number, nodeWarnings?: boolean } = {}): Promise<CliResult & { ms: number }> {
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=keydiff-source', ...(options.nodeWarnings === true ? [] : ['--no-warnings']), SOURCE_BIN, ...args], {
    cwd: options.cwd ?? PACKAGE,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', options.stdout ?? 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdin?.end(options.stdin ?? '')
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', resolve)
  })
  return { code, stdout, stderr, ms: performance.now() - started }
}
