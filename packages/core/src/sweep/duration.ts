import { InvalidOptionError } from '../errors.ts'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/**
 * Parses a duration: milliseconds as a number, or a string with a unit (`90s`, `30m`,
 * `24h`, `7d`, `1w`); a bare string number must be `0`, since `24` alone could mean hours
 * or seconds and the fence is no place to guess.
 */
export function parseDuration (value: number | string, option: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new InvalidOptionError(option, `${value} is not a duration in milliseconds`)
    return value
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(value)
  if (match === null) throw new InvalidOptionError(option, `${JSON.stringify(value)} is not a duration (examples: 24h, 90m, 7d, 0)`)
  const amount = Number(match[1])
  const unit = match[2]?.toLowerCase()
  if (unit === undefined) {
    if (amount === 0) return 0
    throw new InvalidOptionError(option, `${JSON.stringify(value)} needs a unit (ms, s, m, h, d, w)`)
  }
  return amount * (UNITS[unit] as number)
}

/** A duration as the largest whole unit that fits, for headers and messages: `24h`, `90m`. */
export function formatDuration (ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNITS[unit] as number
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
