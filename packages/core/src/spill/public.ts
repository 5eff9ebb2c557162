export { spillReferenceSet } from './spill-reference-set.ts'
export type { SpillReferenceSetOptions } from './spill-reference-set.ts'
export { DiskFullError, NoSpaceError } from './disk-full-error.ts'
export { SpillError } from './disk-full-error.ts'
