import { KeydiffError } from '@keydiff/core'

/** A config file that cannot be used: names the file, the line and the key path. Exit code 2. */
export class ConfigError extends KeydiffError {
  readonly file: string
  readonly keyPath: string
  readonly line: number | undefined

  constructor (file: string, keyPath: string, line: number | undefined, message: string, options: { cause?: unknown } = {}) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${keyPath === '' ? '' : `${keyPath}: `}${message}`, 'KEYDIFF_CONFIG_INVALID', options)
    this.name = 'ConfigError'
    this.file = file
    this.keyPath = keyPath
    this.line = line
  }
}

/** `['runs', 0, 'action', 'type']` → `runs[0].action.type`. */
export function formatKeyPath (path: ReadonlyArray<string | number>): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out === '' ? part : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(part) ? `.${part}` : `.${JSON.stringify(part)}`
  }
  return out
}
