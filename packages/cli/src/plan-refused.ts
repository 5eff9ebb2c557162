import { PlanRefusedError, type PlanGuard } from '@keydiff/core'

/** The flag of `keydiff plan` that overrides each guard. */
const FLAGS: Record<PlanGuard, string> = {
  emptyReferences: '--allow-empty-references',
  missingShare: '--max-missing-share',
  orphanShare: '--max-orphan-share'
}

/** The key of a `[[runs]]` entry that overrides each guard. */
const KEYS: Record<PlanGuard, string> = {
  emptyReferences: 'allowEmptyReferences',
  missingShare: 'maxMissingShare',
  orphanShare: 'maxOrphanShare'
}

const VALUES: Record<PlanGuard, { flag: string, key: string }> = {
  emptyReferences: { flag: '', key: ' = true' },
  missingShare: { flag: ' <share 0..1, 1 turns it off>', key: ' = <share 0..1, 1 turns it off>' },
  orphanShare: { flag: ' <share 0..1, 1 turns it off>', key: ' = <share 0..1, 1 turns it off>' }
}

/**
 * A refused plan told in the words of where it was asked for: the flag of `keydiff plan`, or
 * the key of the run in the config file, instead of the library option. Anything else is
 * returned as it is.
 */
export function inCliTerms (error: unknown, where: { run: string, file: string } | 'flags'): unknown {
  if (!(error instanceof PlanRefusedError)) return error
  const guard = error.guard
  if (where === 'flags') {
    return new PlanRefusedError(guard, FLAGS[guard], error.reason, { cause: error, hint: `pass ${FLAGS[guard]}${VALUES[guard].flag} to plan anyway` })
  }
  return new PlanRefusedError(guard, KEYS[guard], error.reason, {
    cause: error,
    hint: `set ${KEYS[guard]}${VALUES[guard].key} in run ${JSON.stringify(where.run)} of ${where.file} to plan anyway`
  })
}
