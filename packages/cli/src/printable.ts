// C0 controls other than newline and tab, DEL, and C1 controls: what a terminal may act on
// (ESC starts a sequence that can retitle the window, move the cursor or hide text, BEL
// rings, CSI U+009B is ESC [ in one character).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/**
 * Text for a person's terminal: control characters written as `\u001b`, the escape JSON
 * uses, so a key holding ESC or BEL shows what it holds instead of acting on the terminal.
 * Inside JSON text the result is the same JSON value (every control is escaped in a string,
 * and none may stand outside one), so JSON output stays exact.
 */
export function printable (text: string): string {
  return text.replace(CONTROL, char => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * A message with every `user:password@` (in a URL however it is written, or on its own)
 * turned into `user:***@`: the last guard before an error reaches the screen, for a URL some
 * driver quoted whole. A password runs to the last `@` before a space (it may hold a `/`).
 */
export function withoutPasswords (text: string): string {
  // A URL's user:password first (the password may itself start with //); then any other
  // user:password@, but not a scheme's `://`, so a URL with a user and no password keeps it.
  return text
    .replace(/([a-zA-Z][\w+.-]*:\/\/[^\s/:@]*):[^\s]+@/g, '$1:***@')
    .replace(/([^\s/:@]*):(?!\/\/)[^\s]+@/g, '$1:***@')
}
