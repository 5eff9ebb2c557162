/** The colours the charts draw with; the screenshot tests count their pixels. */
export const REPORT_COLORS = { count: '#2563eb', bytes: '#d97706', axis: '#475569' } as const

/** Light vertical lines at each tick, behind the bars: a scale the eye can follow. */
export const GRID_COLOR = '#e5e7eb'
/** Tick labels, bar values and chart titles. */
export const LABEL_COLOR = '#374151'

const STYLE = `
  body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #111827; background: #fff; }
  h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
  section + section { border-top: 1px solid #e5e7eb; margin-top: 32px; padding-top: 8px; }
  .muted { color: #6b7280; } .bad { color: #b91c1c; }
  .cards { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 16px; }
  .card { border: 1px solid #e5e7eb; border-radius: 8px; padding: 10px 14px; min-width: 130px; }
  .card b { display: block; font-size: 18px; }
  table { border-collapse: collapse; } td, th { padding: 4px 12px 4px 0; text-align: left; vertical-align: top; }
  th { color: #6b7280; font-weight: 500; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
  code { font: 12px ui-monospace, monospace; } pre { font: 12px ui-monospace, monospace; background: #f3f4f6; padding: 6px 10px; border-radius: 6px; display: inline-block; margin: 0; }
`

/** A self-contained page: inline style, no script, nothing fetched. `title` must be escaped already. */
export function page (title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`
}

export const n = (value: number): string => value.toLocaleString('en-US')

export function esc (text: string): string {
  return text.replace(/[&<>"']/g, ch => `&#${ch.charCodeAt(0)};`)
}

export function truncate (text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`
}

/** A word a POSIX shell reads back unchanged: the restore command can be pasted as shown. */
export function shellQuote (word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}
