import { KeydiffError, SourceError, type KeydiffErrorCode } from '../errors.ts'

/** An error as a worker thread reports it: plain data, since a message cannot carry a class. */
export interface ThreadErrorReport {
  name: string
  message: string
  code: KeydiffErrorCode | undefined
  /** A SourceError's source. */
  source: string | undefined
}

export function threadErrorReport (error: unknown): ThreadErrorReport {
  const { name, message } = error instanceof Error ? error : new Error(String(error))
  return {
    name,
    message,
    code: error instanceof KeydiffError ? error.code : undefined,
    source: error instanceof SourceError ? error.source : undefined
  }
}

/** The reported error again, as its class where it is a SourceError, with its code and message. */
export function rebuiltError (report: ThreadErrorReport, fallback: KeydiffErrorCode): KeydiffError {
  const code = report.code ?? fallback
  const error = report.source !== undefined ? new SourceError(report.source, '', { code }) : new KeydiffError(report.message, code)
  error.message = report.message
  error.name = report.name
  return error
}
