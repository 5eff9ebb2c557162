// Errors a command has already written to its JSON log: `main` does not print them again as
// text, so that every line on standard error stays JSON. Apart from run-log.ts, so that `main`
// does not load the JSON logger (pino, about 17 ms of every command's start) to ask.
const logged = new WeakSet<object>()

/** Marks `error` as written to the JSON log. */
export function markLogged (error: unknown): void {
  if (typeof error === 'object' && error !== null) logged.add(error)
}

/** Whether a command has already written `error` to its JSON log. */
export function isLogged (error: unknown): boolean {
  return typeof error === 'object' && error !== null && logged.has(error)
}
