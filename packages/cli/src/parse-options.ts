import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from './usage-error.ts'

type OptionsConfig = NonNullable<ParseArgsConfig['options']>
type Parsed<T extends OptionsConfig> = ReturnType<typeof parseArgs<{ args: string[], strict: true, allowPositionals: boolean, options: T }>>

/** `parseArgs` in strict mode; an unknown or malformed option is a UsageError (exit 2, with the usage). */
export function parseOptions<const T extends OptionsConfig> (argv: string[], options: T, usage: string, allowPositionals = false): Parsed<T> {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals, options })
  } catch (error) {
    throw new UsageError((error as Error).message, usage)
  }
}
