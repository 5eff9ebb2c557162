import { LABEL_COLOR, REPORT_COLORS, GRID_COLOR, esc } from './html.ts'

/** A linear scale from 0 to `top`, with round tick values and their labels in the unit. */
export interface Scale {
  top: number
  ticks: number[]
  label: (value: number) => string
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/** 1, 2, 2.5 or 5 times a power of ten, the smallest at least `rough`; 2.5 only where it stays a multiple of `minStep`. */
function niceStep (rough: number, minStep: number): number {
  const power = 10 ** Math.floor(Math.log10(rough))
  for (const factor of [1, 2, 2.5, 5, 10]) {
    const step = factor * power
    if (step >= rough && Number.isInteger(Math.round(step / minStep * 1e6) / 1e6)) return step
  }
  return 10 * power
}

function linear (max: number, unit: number, minStep: number, format: (scaled: number) => string): Scale {
  const scaledMax = Math.max(max / unit, minStep)
  const step = Math.max(minStep, niceStep(scaledMax / 4, minStep))
  const count = Math.max(1, Math.ceil(scaledMax / step - 1e-9))
  const ticks = Array.from({ length: count + 1 }, (_, i) => i * step * unit)
  // steps such as 2.5 or 0.25 need as many decimals as the step has
  let decimals = 0
  while (decimals < 6 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6) decimals++
  return { top: count * step * unit, ticks, label: value => value === 0 ? '0' : format(Number((value / unit).toFixed(decimals))) }
}

/** Whole keys: ticks 0, 250, 500 … labelled `1,000 keys` at the last. */
export function countScale (max: number): Scale {
  return linear(max, 1, 1, scaled => scaled.toLocaleString('en-US'))
}

/** Bytes in binary units (the unit of the largest value), so the ticks read 0, 200 MiB, 400 MiB. */
export function bytesScale (max: number): Scale {
  let power = 0
  while (power < BYTE_UNITS.length - 1 && max >= 1024 ** (power + 1)) power++
  const name = BYTE_UNITS[power] as string
  return linear(max, 1024 ** power, power === 0 ? 1 : 0.01, scaled => `${scaled.toLocaleString('en-US')} ${name}`)
}

/**
 * A horizontal value axis under a chart's bars: the axis line, a tick and a label per tick
 * value, and a faint grid line up through the bars.
 */
export function horizontalAxis (options: { x: number, width: number, top: number, bottom: number, scale: Scale, unit: string }): string {
  const { x, width, top, bottom, scale } = options
  const at = (value: number): number => x + Math.round(value / scale.top * width)
  const parts = [
    ...scale.ticks.map(value => `<line x1="${at(value)}" y1="${top}" x2="${at(value)}" y2="${bottom}" stroke="${GRID_COLOR}" stroke-width="1" shape-rendering="crispEdges"/>`),
    `<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom + 1}" stroke="${REPORT_COLORS.axis}" stroke-width="2" shape-rendering="crispEdges"/>`,
    `<line x1="${x}" y1="${bottom}" x2="${x + width}" y2="${bottom}" stroke="${REPORT_COLORS.axis}" stroke-width="2" shape-rendering="crispEdges"/>`,
    ...scale.ticks.map(value => `<line x1="${at(value)}" y1="${bottom}" x2="${at(value)}" y2="${bottom + 6}" stroke="${REPORT_COLORS.axis}" stroke-width="2" shape-rendering="crispEdges"/>`),
    ...scale.ticks.map((value, i) => `<text x="${at(value)}" y="${bottom + 19}" font-size="11" fill="${LABEL_COLOR}" text-anchor="${i === 0 ? 'start' : i === scale.ticks.length - 1 ? 'end' : 'middle'}">${esc(scale.label(value))}</text>`),
    `<text x="${x + width}" y="${bottom + 34}" font-size="11" fill="${LABEL_COLOR}" text-anchor="end">${esc(options.unit)}</text>`
  ]
  return parts.join('\n')
}

/** A vertical value axis left of a column chart, with ticks, labels and grid lines across. */
export function verticalAxis (options: { x: number, width: number, top: number, height: number, scale: Scale, unit: string }): string {
  const { x, width, top, height, scale } = options
  const bottom = top + height
  const at = (value: number): number => bottom - Math.round(value / scale.top * height)
  const parts = [
    ...scale.ticks.map(value => `<line x1="${x}" y1="${at(value)}" x2="${x + width}" y2="${at(value)}" stroke="${GRID_COLOR}" stroke-width="1" shape-rendering="crispEdges"/>`),
    `<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${bottom}" stroke="${REPORT_COLORS.axis}" stroke-width="2" shape-rendering="crispEdges"/>`,
    `<line x1="${x - 1}" y1="${bottom}" x2="${x + width}" y2="${bottom}" stroke="${REPORT_COLORS.axis}" stroke-width="2" shape-rendering="crispEdges"/>`,
    ...scale.ticks.map(value => `<line x1="${x - 6}" y1="${at(value)}" x2="${x}" y2="${at(value)}" stroke="${REPORT_COLORS.axis}" stroke-width="2" shape-rendering="crispEdges"/>`),
    ...scale.ticks.map(value => `<text x="${x - 9}" y="${at(value) + 4}" font-size="11" fill="${LABEL_COLOR}" text-anchor="end">${esc(scale.label(value))}</text>`),
    `<text x="${x}" y="${top - 10}" font-size="11" fill="${LABEL_COLOR}" text-anchor="middle">${esc(options.unit)}</text>`
  ]
  return parts.join('\n')
}
