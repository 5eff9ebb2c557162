import { KeydiffError } from '@keydiff/core'
import { processIO, type CommandIO } from './io.ts'
import { commands } from './commands/registry.ts'
import { UsageError } from './usage-error.ts'
import { asDiskFull } from './disk-full.ts'
import { printable, withoutPasswords } from './printable.ts'
import { quietSdkNodeVersionWarning } from './sdk-warnings.ts'
import { isLogged } from './run/logged-errors.ts'

/** Exit codes a scheduler can act on. */
export const EXIT = { ok: 0, runtime: 1, usage: 2, partial: 3 } as const

export function usage (): string {
  const names = Object.keys(commands)
  const width = Math.max(...names.map(name => name.length))
  return [
    'Usage: keydiff <command> [options]',
    '',
    'Finds orphaned keys (stored but no longer referenced) and removes them safely.',
    '',
    'Commands:',
    ...names.map(name => `  ${name.padEnd(width)}  ${(commands[name] as { summary: string }).summary}`),
    '',
    'Run `keydiff <command> --help` for the options of a command.',
    ''
  ].join('\n')
}

/** Runs the CLI and returns its exit code; never throws. */
export async function main (argv: string[], io: CommandIO = processIO()): Promise<number> {
  // before a command loads an SDK: the commands are imported when they run
  quietSdkNodeVersionWarning()
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage())
    return name === undefined ? EXIT.usage : EXIT.ok
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write('0.1.0\n')
    return EXIT.ok
  }
  const command = commands[name]
  if (command === undefined) {
    io.stderr.write(`keydiff: unknown command ${printable(JSON.stringify(name))}\n\n${usage()}`)
    return EXIT.usage
  }
  // Whatever a failure says reaches a terminal: no control character acts on it, no password shows.
  // A failure a command wrote to its JSON log (`--log-format json`) is not repeated as text.
  let logged = false
  const say = (text: string): void => { if (!logged) io.stderr.write(withoutPasswords(printable(text))) }
  try {
    return await command.run(rest, io)
  } catch (thrown) {
    logged = isLogged(thrown)
    const error = asDiskFull(thrown)
    if (error instanceof UsageError) {
      say(`keydiff ${name}: ${error.message}\n\n${error.usage}`)
      return EXIT.usage
    }
    if (error instanceof KeydiffError && error.code === 'KEYDIFF_CONFIG_INVALID') {
      say(`${error.message}\n`)
      return EXIT.usage
    }
    if (error instanceof KeydiffError) {
      say(`${oneLine(error.message)}${error.code === 'KEYDIFF_ABORTED' ? '' : ` (${error.code})`}\n`)
      return EXIT.runtime
    }
    say(`keydiff ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    return EXIT.runtime
  }
}

/** A runtime error is one line: a message that carries a newline (a server's quoted text) has it escaped. */
function oneLine (message: string): string {
  return message.replace(/\r?\n/g, '\\n')
}
