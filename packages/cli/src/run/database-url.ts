import { KeydiffError } from '@keydiff/core'

const SCHEMES = {
  postgres: { schemes: ['postgres:', 'postgresql:'], example: 'postgres://user:password@host:5432/database' },
  mysql: { schemes: ['mysql:'], example: 'mysql://user:password@host:3306/database' },
  mongo: { schemes: ['mongodb:', 'mongodb+srv:'], example: 'mongodb://user:password@host:27017/database' }
} as const

/**
 * Checks a database URL before a driver parses it: drivers' own parse errors quote the URL,
 * or (for `postgres:/user:secret@host`, one slash) read the password as a path. The error
 * names the config key and never the value, which may hold a password.
 */
export function checkDatabaseUrl (database: string, type: keyof typeof SCHEMES, url: string): void {
  const { schemes, example } = SCHEMES[type]
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url)?.[1]?.toLowerCase()
  const fail = (why: string): never => {
    throw new KeydiffError(`databases.${database}.url: ${why}; expected ${example} (the value is not shown: it may hold a password)`, 'KEYDIFF_CONFIG_INVALID')
  }
  if (scheme === undefined) fail(`not a URL of the form ${schemes[0]}//host`)
  if (!(schemes as readonly string[]).includes(scheme as string)) fail(`the scheme must be ${schemes.map(s => `${s}//`).join(' or ')}`)
  // MongoDB lists several hosts in one authority (`a:1,b:2`), which URL does not parse; its driver checks it.
  if (type === 'mongo') return
  // `postgres:///db` (no host: the local socket) is a URL too.
  if (!URL.canParse(url)) fail('the URL does not parse (a port that is not a number, a bracket not closed, a space, or a character that must be percent-encoded)')
  // `user:pa/ss@host`: the URL ends its authority at the `/`, and the rest of the password becomes the database name.
  const { pathname, search, hash } = new URL(url)
  if (`${pathname}${search}${hash}`.includes('@')) fail('an @ follows the host: a password that holds /, ? or # must be percent-encoded')
}

/**
 * `scheme://user@host:port/db` with the password (and the query, which may hold one) left
 * out, for messages. Everything up to the last `@` is user information, since a password may
 * hold an unescaped `/`, `?`, `#` or `@`; a URL without `scheme://` is not shown at all.
 */
export function urlWithoutPassword (url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0]
  if (scheme === undefined) return '(a URL that is not of the form scheme://host)'
  const tail = url.slice(scheme.length)
  const at = tail.lastIndexOf('@')
  const user = at < 0 ? '' : tail.slice(0, at).split(':')[0] ?? ''
  return `${scheme}${user === '' ? '' : `${user}@`}${tail.slice(at + 1).replace(/[?#][\s\S]*$/, '')}`
}

/**
 * `text` with the password of `url` (as written and percent-decoded) replaced by `***`. A
 * malformed URL can be read several ways (is `postgres:a@h` a scheme and a user, or a user
 * and a password?), so every reading is hidden: whatever follows any `:` up to any `@`.
 */
export function hidePassword (text: string, url: string): string {
  const secrets = new Set<string>()
  for (let at = url.indexOf('@'); at >= 0; at = url.indexOf('@', at + 1)) {
    for (let colon = url.indexOf(':'); colon >= 0 && colon < at; colon = url.indexOf(':', colon + 1)) {
      const password = url.slice(colon + 1, at)
      secrets.add(password)
      try {
        secrets.add(decodeURIComponent(password))
      } catch {}
    }
  }
  let out = text
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) if (secret.length > 0) out = out.split(secret).join('***')
  return out
}
