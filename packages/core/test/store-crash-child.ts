// Child process of the crash tests: `<apply|restore> <plan> <root> <trash> [pause-under]`
// quarantines (or restores) the plan's keys through a directory quarantine sink. With
// `pause-under`, every removal of a file under that directory waits forever once the file's
// link or copy is in place, after printing `paused <path>`: the parent then kills the child
// with SIGKILL exactly between the two steps of a move. Without it, the child prints
// `started` and runs, to be killed wherever it happens to be.
import { readlinkSync } from 'node:fs'
import fsp from 'node:fs/promises'
import { syncBuiltinESMExports } from 'node:module'
import { join } from 'node:path'

const [command, plan, root, trash, pauseUnder] = process.argv.slice(2) as [string, string, string, string, string | undefined]

/** The path a file is removed at, where the sink acts through a directory it holds open. */
function realPath (path: string): string {
  const held = /^\/proc\/self\/fd\/(\d+)\/(.*)$/.exec(path)
  return held === null ? path : join(readlinkSync(`/proc/self/fd/${held[1] as string}`), held[2] as string)
}

if (pauseUnder !== undefined) {
  const unlink = fsp.unlink
  fsp.unlink = async (path: Parameters<typeof unlink>[0]): Promise<void> => {
    const real = realPath(String(path))
    if (real.startsWith(`${pauseUnder}/`) && !real.includes('.keydiff-copy-')) {
      process.stdout.write(`paused ${real}\n`)
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
