import { KeydiffError } from '@keydiff/core'

/**
 * Imports a module whose SDK is an optional peer dependency of the CLI: when the SDK (or
 * the module itself) is not installed, a config error (KEYDIFF_CONFIG_INVALID) says what
 * needs it and the command that installs it, instead of Node's ERR_MODULE_NOT_FOUND.
 */
export async function importPeer<T> (load: () => Promise<T>, what: string, install: readonly string[]): Promise<T> {
  try {
    return await load()
  } catch (error) {
    const missing = missingPackage(error)
    if (missing === undefined) throw error
    throw new KeydiffError(`${what} needs ${missing}, which is not installed: npm install ${install.join(' ')}`, 'KEYDIFF_CONFIG_INVALID', { cause: error })
  }
}

/** The package an import failed to find, from Node's ERR_MODULE_NOT_FOUND message. */
export function missingPackage (error: unknown): string | undefined {
  if ((error as NodeJS.ErrnoException | undefined)?.code !== 'ERR_MODULE_NOT_FOUND') return undefined
  return /Cannot find package '([^']+)'/.exec((error as Error).message)?.[1]
}
