import type { KeyEntry, SinkOutcome } from '@keydiff/core'

/** An ETag without its quotes: listings, HEAD and inventory reports do not agree on them. */
export function bareEtag (etag: string): string {
  return etag.replaceAll('"', '')
}

/** An ETag as the `If-Match` family of headers and DeleteObjects' `<ETag>` take it. */
export function quotedEtag (etag: string): string {
  return `"${bareEtag(etag)}"`
}

const CHANGED = 'changed since the plan: '

/** The outcome of an object that is no longer the one the plan recorded: left alone, never retried. */
export function changedOutcome (key: string, why: string): SinkOutcome {
  return { key, ok: false, error: `${CHANGED}${why}; left as it is`, retryable: false }
}

/** Whether an outcome is `changedOutcome`'s. */
export function isChanged (outcome: SinkOutcome): boolean {
  return !outcome.ok && outcome.error?.startsWith(CHANGED) === true
}

/**
 * Why the object no longer is the one the plan recorded, or undefined. Each of ETag, size and
 * modification time is compared when both sides have it. HTTP dates carry whole seconds and
 * are never later than the write, so only a truly later time counts.
 */
export function changedSince (entry: KeyEntry, current: { etag?: string | undefined, size?: number | undefined, lastModified?: Date | undefined }): string | undefined {
  if (entry.version !== undefined && current.etag !== undefined && bareEtag(entry.version) !== bareEtag(current.etag)) {
    return `its ETag is ${bareEtag(current.etag)}, the plan's is ${bareEtag(entry.version)}`
  }
  if (entry.size !== undefined && current.size !== undefined && entry.size !== current.size) {
    return `size changed from ${entry.size} to ${current.size} bytes`
  }
  if (entry.lastModified !== undefined && current.lastModified !== undefined && current.lastModified.getTime() > entry.lastModified.getTime()) {
    return `modified at ${current.lastModified.toISOString()}, after the plan's ${entry.lastModified.toISOString()}`
  }
  return undefined
}

/** Whether the entry carries anything a check can compare. */
export function checkable (entry: KeyEntry): boolean {
  return entry.version !== undefined || entry.size !== undefined || entry.lastModified !== undefined
}
