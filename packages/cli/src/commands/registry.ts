import type { CommandIO } from '../io.ts'
import { demoCommand } from './demo.ts'
import { diffCommand } from './diff.ts'
import { indexCommand } from './index-command.ts'
import { planCommand } from './plan.ts'
import { applyCommand } from './apply.ts'
import { restoreCommand } from './restore.ts'
import { runCommand } from './run.ts'

export interface Command {
  /** One line for `keydiff --help`. */
  summary: string
  run: (argv: string[], io: CommandIO) => Promise<number>
}

/** Every command of the CLI; `keydiff <name> --help` shows a command's options. */
export const commands: Record<string, Command> = {
  run: { summary: 'run the cleaning runs of a keydiff.toml: plan, report, apply', run: runCommand },
  diff: { summary: 'print the orphans (and missing keys) of two key lists', run: diffCommand },
  plan: { summary: 'write a plan of the orphans that may be acted on (the dry run), with a per-prefix report', run: planCommand },
  apply: { summary: 'delete or quarantine the keys of a plan, under a lock, with an audit log', run: applyCommand },
  restore: { summary: 'move back what apply --action quarantine moved', run: restoreCommand },
  index: { summary: 'build, update, query or drop a kept LevelDB reference index', run: indexCommand },
  demo: { summary: 'generate a small store and reference list, and find its orphans', run: demoCommand }
}
