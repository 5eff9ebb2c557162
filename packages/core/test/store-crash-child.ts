// Child process of the crash tests: `<apply|restore> <plan> <root> <trash> [pause-under]`
// quarantines (or restores) the plan's keys through a directory quarantine sink. With
// `pause-under`, every removal of a file under that directory waits forever once the file's
// link or copy is in place, after printing `paused <path>`: the parent then kills the child
// with SIGKILL exactly between the two steps of a move. Without it, the child prints
// `started` and runs, to be killed wherever it happens to be.
import fsp from 'node:fs/promises'
import { syncBuiltinESMExports } from 'node:module'

const [command, plan, root, trash, pauseUnder] = process.argv.slice(2) as [string, string, string, string, string | undefined]

if (pauseUnder !== undefined) {
  const unlink = fsp.unlink
  fsp.unlink = async (path: Parameters<typeof unlink>[0]): Promise<void> => {
    if (String(path).startsWith(`${pauseUnder}/`) && !String(path).includes('.keydiff-copy-')) {
      process.stdout.write(`paused ${String(path)}\n`)
      // a timer keeps the process alive once every move is paused
      await new Promise(() => setInterval(() => {}, 1000))
    }
    await unlink(path)
  }
  // the core's `import { unlink } from 'node:fs/promises'` sees the pausing one from here on
  syncBuiltinESMExports()
}

const { apply, directoryQuarantineSink, restore } = await import('@keydiff/core')
const sink = directoryQuarantineSink({ root, trash })
process.stdout.write('started\n')
const result = command === 'apply' ? await apply(plan, sink, { lock: null }) : await restore(plan, sink, { lock: null })
process.stdout.write(`${JSON.stringify({ done: result.done, failed: result.failed })}\n`)
