import { main } from '../src/main.ts'

// The CLI run from its sources (tests spawn it with tsx), so a test sees the adapters' sources too.
process.exitCode = await main(process.argv.slice(2))
