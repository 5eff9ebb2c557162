import { ConnectionError, SinkError } from '@keydiff/core'

/**
 * @deprecated since 0.2: the sinks throw core's `SinkError` (`adapter` 'gcs', `target` the
 * sink's name, which `sink` used to hold). Kept for one release as SinkError itself, so
 * `instanceof GcsSinkError` still holds for what the sinks throw.
 */
export const GcsSinkError = SinkError
/** @deprecated since 0.2: core's `SinkError`. */
export type GcsSinkError = SinkError

/**
 * @deprecated since 0.2: an unreachable API endpoint is core's `ConnectionError` (`adapter`
 * 'gcs', `target` the endpoint, which `endpoint` used to hold). Kept for one release as
 * ConnectionError itself, so `instanceof GcsConnectionError` still holds.
 */
export const GcsConnectionError = ConnectionError
/** @deprecated since 0.2: core's `ConnectionError`. */
export type GcsConnectionError = ConnectionError
