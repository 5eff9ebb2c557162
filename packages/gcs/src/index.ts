export { gcsSource } from './gcs-source.ts'
export type { GcsSourceOptions } from './gcs-source.ts'
export { hexSplitPoints } from './split-points.ts'
