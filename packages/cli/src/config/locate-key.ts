/**
 * Finds the line of a key path (`['runs', 0, 'references', 1, 'column']`) in TOML text, so
 * that config errors can name the line. The TOML parser gives no positions; this scanner
 * follows table headers, arrays of tables, multi-line arrays and inline tables, which is
 * all that a keydiff config uses. Falls back to the nearest enclosing key that it found.
 */
export function locateKey (text: string, path: ReadonlyArray<string | number>): number | undefined {
  const lines = indexLines(text)
  for (let length = path.length; length > 0; length--) {
    const line = lines.get(pathId(path.slice(0, length)))
    if (line !== undefined) return line
  }
  return undefined
}

/**
 * An array or inline table left open at the end of a line. An array's element is located
 * where its value starts (`started`), not at the `[` or `,` before it, which may end the
 * line above.
 */
interface Container { path: Array<string | number>, kind: 'array' | 'table', index: number, started: boolean }

const pathId = (path: ReadonlyArray<string | number>): string => JSON.stringify(path.map(String))

function indexLines (text: string): Map<string, number> {
  const found = new Map<string, number>()
  const arrayCounts = new Map<string, number>()
  let table: Array<string | number> = []
  // Open containers of a value that spans lines: arrays count their elements.
  const stack: Container[] = []
  const note = (path: Array<string | number>, line: number): void => {
    const id = pathId(path)
    if (!found.has(id)) found.set(id, line)
  }

  text.split('\n').forEach((raw, i) => {
    const line = i + 1
    const content = stripComment(raw).trim()
    if (content.length === 0) return
    if (stack.length === 0) {
      const arrayHeader = /^\[\[\s*([^\]]+?)\s*\]\]$/.exec(content)
      const header = /^\[\s*([^\]]+?)\s*\]$/.exec(content)
      if (arrayHeader !== null) {
        const base = splitDotted(arrayHeader[1] as string)
        const id = pathId(base)
        const index = arrayCounts.get(id) ?? 0
        arrayCounts.set(id, index + 1)
        table = [...base, index]
        note(base, line)
        note(table, line)
        return
      }
      if (header !== null) {
        table = splitDotted(header[1] as string)
        for (let n = 1; n <= table.length; n++) note(table.slice(0, n), line)
        return
      }
    }
    scanValueLine(content, line, table, stack, note)
  })
  return found
}

function scanValueLine (
  content: string,
  line: number,
  table: Array<string | number>,
  stack: Container[],
  note: (path: Array<string | number>, line: number) => void
): void {
  let i = 0
  let current = (): Array<string | number> => {
    const top = stack[stack.length - 1]
    if (top === undefined) return table
    return top.kind === 'array' ? [...top.path, top.index] : top.path
  }
  const readKey = (): string | undefined => {
    const match = /^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=/.exec(content.slice(i))
    if (match === null) return undefined
    i += match[0].length
    return match[1]
  }
  const expectKey = (): boolean => {
    const top = stack[stack.length - 1]
    return top === undefined || top.kind === 'table'
  }
  if (expectKey()) {
    const key = readKey()
    if (key === undefined) return
    const path = [...current(), ...splitDotted(key)]
    note(path, line)
    current = () => path
    consume(path)
  } else {
    consume(current())
  }

  function consume (valuePath: Array<string | number>): void {
    let pending = valuePath
    while (i < content.length) {
      const ch = content[i] as string
      const open = stack[stack.length - 1]
      if (open?.kind === 'array' && !open.started && ch !== ']' && ch !== ',' && ch.trim() !== '') {
        open.started = true
        note([...open.path, open.index], line)
      }
      if (ch === '"' || ch === "'") {
        i = skipString(content, i)
        continue
      }
      if (ch === '[') {
        stack.push({ path: pending, kind: 'array', index: 0, started: false })
        pending = [...pending, 0]
      } else if (ch === '{') {
        const top = stack[stack.length - 1]
        const path = top?.kind === 'array' ? [...top.path, top.index] : pending
        note(path, line)
        stack.push({ path, kind: 'table', index: 0, started: true })
        i++
        const key = readKey()
        if (key !== undefined) {
          pending = [...path, ...splitDotted(key)]
          note(pending, line)
        }
        continue
      } else if (ch === ']' || ch === '}') {
        stack.pop()
      } else if (ch === ',') {
        const top = stack[stack.length - 1]
        if (top?.kind === 'array') {
          top.index++
          top.started = false
          pending = [...top.path, top.index]
        } else if (top?.kind === 'table') {
          i++
          const key = readKey()
          if (key !== undefined) {
            pending = [...top.path, ...splitDotted(key)]
            note(pending, line)
          }
          continue
        }
      }
      i++
    }
  }
}

function skipString (text: string, start: number): number {
  const quote = text[start]
  let i = start + 1
  while (i < text.length && text[i] !== quote) i += text[i] === '\\' && quote === '"' ? 2 : 1
  return i + 1
}

function stripComment (line: string): string {
  let i = 0
  while (i < line.length) {
    const ch = line[i]
    if (ch === '"' || ch === "'") i = skipString(line, i)
    else if (ch === '#') return line.slice(0, i)
    else i++
  }
  return line
}

function splitDotted (key: string): string[] {
  const parts: string[] = []
  const pattern = /\s*("([^"]*)"|'([^']*)'|[^.\s]+)\s*(\.|$)/g
  let match: RegExpExecArray | null
  while ((match = pattern.exec(key)) !== null && match[0].length > 0) parts.push(match[2] ?? match[3] ?? (match[1] as string))
  return parts
}
