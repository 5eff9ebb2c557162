import type { CommandIO } from '../io.ts'

export interface Command {
  /** One line for `keydiff --help`. */
  summary: string
  run: (argv: string[], io: CommandIO) => Promise<number>
}

// Each command is loaded when it runs: `keydiff diff` need not compile the config schema
// or load the sweep, and start-up counts on every scheduled run.
/** Every command of the CLI; `keydiff <name> --help` shows a command's options. */
export const commands: Record<string, Command> = {
  run: { summary: 'run the cleaning runs of a keydiff.toml: plan, report, apply (on a queue\'s workers with --queue)', run: async (argv, io) => argv.some(arg => arg === '--queue' || arg.startsWith('--queue=')) ? await (await import('./run-queue.ts')).runQueueCommand(argv, io) : await (await import('./run.ts')).runCommand(argv, io) },
  worker: { summary: 'serve the distributed runs of a queue (keydiff run --queue): plan shards, apply plan parts', run: async (argv, io) => await (await import('./worker.ts')).workerCommand(argv, io) },
  check: { summary: 'check that every store, database, action and lock of a keydiff.toml will work, changing nothing', run: async (argv, io) => await (await import('./check.ts')).checkCommand(argv, io) },
  diff: { summary: 'print the orphans (and missing keys) of two key lists', run: async (argv, io) => await (await import('./diff.ts')).diffCommand(argv, io) },
  plan: { summary: 'write a plan of the orphans that may be acted on (the dry run), with a per-prefix report', run: async (argv, io) => await (await import('./plan.ts')).planCommand(argv, io) },
  apply: { summary: 'delete or quarantine the keys of a plan, under a lock, with an audit log', run: async (argv, io) => await (await import('./apply.ts')).applyCommand(argv, io) },
  restore: { summary: 'move back what apply --action quarantine moved, from a plan or a whole quarantine', run: async (argv, io) => await (await import('./restore.ts')).restoreCommand(argv, io) },
  report: { summary: 'write an HTML page of a run\'s history: orphans found and bytes reclaimed per run', run: async (argv, io) => await (await import('./report.ts')).reportCommand(argv, io) },
  index: { summary: 'build, update, query or drop a kept LevelDB reference index', run: async (argv, io) => await (await import('./index-command.ts')).indexCommand(argv, io) },
  demo: { summary: 'generate a small store and reference list, and find its orphans', run: async (argv, io) => await (await import('./demo.ts')).demoCommand(argv, io) }
}
