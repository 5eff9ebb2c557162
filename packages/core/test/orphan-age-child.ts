// Child process of the orphan-age crash test: `commit-loop <directory>` runs one ledger run
// after another (run i observes runKeys(i) at time i seconds and commits), printing
// `committing i` before each commit and `committed i` after, until the parent kills it.
import { OrphanAgeLedger } from '../src/sweep/orphan-age.ts'

/** The keys run i finds orphaned: overlapping from run to run, so that ages carry over and restart. */
export function runKeys (i: number): string[] {
  const keys: string[] = []
  for (let j = 0; j < 3000; j++) if ((j * 7 + i) % 5 !== 0) keys.push(`k/${j}`)
  keys.push(`only/${i}`)
  return keys
}

export const runTime = (i: number): number => i * 1000

if (process.argv[2] === 'commit-loop') {
  const directory = process.argv[3] as string
  for (let i = 1; ; i++) {
    const ledger = await OrphanAgeLedger.open({ directory, minAge: 0, now: runTime(i) })
    const keys = runKeys(i)
    for (let at = 0; at < keys.length; at += 500) await ledger.observe(keys.slice(at, at + 500))
    process.stdout.write(`committing ${i}\n`)
    await ledger.commit()
    process.stdout.write(`committed ${i}\n`)
  }
}
