import { InvalidOptionError } from '@keydiff/core'

export function positiveInteger (value: number, option: string): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidOptionError(option, `${String(value)} is not a positive integer`)
  return value
}

export function nonNegativeInteger (value: number, option: string): number {
  if (!Number.isInteger(value) || value < 0) throw new InvalidOptionError(option, `${String(value)} is not a non-negative integer`)
  return value
}
