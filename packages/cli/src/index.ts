export { main, usage, EXIT } from './main.ts'
export type { CommandIO } from './io.ts'
export { UsageError } from './usage-error.ts'
