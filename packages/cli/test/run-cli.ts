import { spawn } from 'node:child_process'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { CommandIO } from '../src/io.ts'
import { main } from '../src/main.ts'

export const BIN = fileURLToPath(new URL('../bin/keydiff.js', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the built `keydiff` binary, as a user would. */
export async function runCli (args: string[], options: { stdin?: string, cwd?: string, env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  child.stdin.end(options.stdin ?? '')
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', resolve)
  })
  return { code, stdout, stderr }
}

/** Runs `main` in this process with empty standard input and no terminal: quicker, for many calls. */
export async function runMain (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
  stderr.setEncoding('utf8').on('data', (chunk: string) => { err += chunk })
  const stdin = new PassThrough()
  stdin.end()
  const io: CommandIO = { stdin: stdin as unknown as CommandIO['stdin'], stdout, stderr, isTTY: false }
  const code = await main(args, io)
  return { code, stdout: out, stderr: err }
}
