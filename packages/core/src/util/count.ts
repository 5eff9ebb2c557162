/**
 * A whole number with its thousands grouped by commas, as `toLocaleString('en-US')` writes
 * it, without that call's first cost: it loads the locale's data, about 20 ms of a process's
 * start (an eighth of a small diff's whole run). Other numbers are left to `toLocaleString`.
 */
export function formatCount (value: number): string {
  if (!Number.isSafeInteger(value)) return value.toLocaleString('en-US')
  const digits = String(Math.abs(value))
  let grouped = digits.slice(0, (digits.length - 1) % 3 + 1)
  for (let at = grouped.length; at < digits.length; at += 3) grouped += `,${digits.slice(at, at + 3)}`
  return value < 0 || Object.is(value, -0) ? `-${grouped}` : grouped
}
