import type { CommandIO } from '../io.ts'
import { demoCommand } from './demo.ts'
import { diffCommand } from './diff.ts'

export interface Command {
  /** One line for `keydiff --help`. */
  summary: string
  run: (argv: string[], io: CommandIO) => Promise<number>
}

/** Every command of the CLI; `keydiff <name> --help` shows a command's options. */
export const commands: Record<string, Command> = {
  diff: { summary: 'print the orphans (and missing keys) of two key lists', run: diffCommand },
  demo: { summary: 'generate a small store and reference list, and find its orphans', run: demoCommand }
}
