/**
 * Who sent a `/sql` request, from its `Neon-Connection-String` and `Authorization`, and whether this
 * isolate has seen Skiff accept that credential lately: a cached entry is served only to a caller
 * whose password or token Skiff accepted for the same user and database within `VERIFIED_MS`, so a
 * wrong password never reads a cached row. Only SHA-256 digests of credentials are kept, in memory.
 * @module
 */
import { type KeyIdentity, sha256Hex } from './cache-key.js'

/** How long an accepted credential is trusted without asking Skiff again. */
const VERIFIED_MS = 60_000

/** The identity and a digest of the credential; undefined when the connection string is unusable. */
export interface Caller extends KeyIdentity {
  credential: string
}

/** Reads the caller; undefined lets Skiff answer the request (and its error) unchanged. */
export async function callerOf(headers: Headers): Promise<Caller | undefined> {
  const conn = headers.get('Neon-Connection-String')
  if (conn === null) return undefined
  let url: URL
  let user: string
  let database: string
  let password: string
  try {
    url = new URL(conn)
    user = decodeURIComponent(url.username)
    database = decodeURIComponent(url.pathname.replace(/^\//, '').split('/')[0] ?? '') || user
    password = decodeURIComponent(url.password)
  } catch {
    return undefined // not a URL, or a bad %-escape: Skiff answers it with its own error
  }
  if (user === '') return undefined
  const secret = `${password}\0${headers.get('Authorization') ?? ''}`
  const params = [...url.searchParams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return { user, database, params: JSON.stringify(params), credential: await sha256Hex(secret) }
}

/** Credentials Skiff accepted, per user and database, with when that stops counting. */
export class VerifiedCallers {
  readonly #until = new Map<string, number>()

  #key(c: Caller): string {
    return `${c.database}\0${c.user}\0${c.credential}`
  }

  accept(c: Caller): void {
    if (this.#until.size > 10_000) this.#until.clear()
    this.#until.set(this.#key(c), Date.now() + VERIFIED_MS)
  }

  isVerified(c: Caller): boolean {
    return (this.#until.get(this.#key(c)) ?? 0) > Date.now()
  }
}
