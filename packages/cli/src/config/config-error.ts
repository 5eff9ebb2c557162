import { KeydiffError } from '@keydiff/core'

/** One problem of a config file: the key path (`runs[0].grace`), its line when found, and what is wrong. */
export interface ConfigProblem {
  keyPath: string
  line: number | undefined
  message: string
}

/**
 * A config file that cannot be used: names the file, the line and the key path of every
 * problem found, so that one run of `keydiff` tells all that needs fixing. Exit code 2.
 * `keyPath` and `line` are those of the first problem.
 */
export class ConfigError extends KeydiffError {
  readonly file: string
  readonly keyPath: string
  readonly line: number | undefined
  /** Every problem, in the order of the file; one for an error about the file as a whole. */
  readonly problems: readonly ConfigProblem[]

  constructor (file: string, keyPath: string, line: number | undefined, message: string, options: { cause?: unknown, more?: readonly ConfigProblem[] } = {}) {
    const problems = [{ keyPath, line, message }, ...(options.more ?? [])]
    super(problems.length === 1
      ? describeProblem(file, problems[0] as ConfigProblem)
      : `${file}: ${problems.length} problems\n${problems.map(problem => `  ${describeProblem(file, problem)}`).join('\n')}`, 'KEYDIFF_CONFIG_INVALID', options)
    this.name = 'ConfigError'
    this.file = file
    this.keyPath = keyPath
    this.line = line
    this.problems = problems
  }

  /** All the problems of one file in one error; `problems` must not be empty. */
  static of (file: string, problems: readonly ConfigProblem[]): ConfigError {
    const [first, ...more] = problems
    if (first === undefined) throw new TypeError('ConfigError.of: no problems')
    return new ConfigError(file, first.keyPath, first.line, first.message, { more })
  }
}

function describeProblem (file: string, { keyPath, line, message }: ConfigProblem): string {
  return `${file}${line === undefined ? '' : `:${line}`}: ${keyPath === '' ? '' : `${keyPath}: `}${message}`
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
