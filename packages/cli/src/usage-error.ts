/** A command line that cannot be run as written: exit code 2, with the usage. */
export class UsageError extends Error {
  readonly usage: string

  constructor (message: string, usage: string) {
    super(message)
    this.name = 'UsageError'
    this.usage = usage
  }
}
