/**
 * auth_query: a user listed without a password gets its secret (an md5 hash or a SCRAM-SHA-256
 * secret, as `pg_authid` stores it) from the pool's primary, so the config holds no password. Clients
 * are checked against that secret; server connections log in with it (md5: the hash answers the
 * challenge) or with the ClientKey a client's SCRAM proof revealed (SCRAM: the secret alone cannot
 * log in), as PgBouncer does.
 * @see https://www.pgbouncer.org/config.html#auth_query
 * @see https://github.com/postgresml/pgcat/blob/main/CONFIG.md#auth_query
 * @module
 */
import type { AuthProof, UserCredential } from '../auth/client-auth.js'
import { scramPasswordBytes } from '../auth/saslprep.js'
import type { ScramClientKeys } from '../auth/scram-client.js'
import { deriveScramKeys, sha256 } from '../auth/scram-common.js'
import { parseScramSecret, type ScramSecret } from '../auth/scram-secret.js'
import { GatewayError } from '../errors.js'
import { log } from '../log.js'
import { runAuthQuery } from './auth-query-run.js'
import type { ServerAddress, ServerLogin } from './server-address.js'
import type { ServerConnector } from './server-connector.js'

/** The pool's auth_query keys (pool values over [general] ones). */
export interface AuthQuerySettings {
  query: string
  user: string
  password: string
}

/** A secret is used this long before the next login fetches it again. */
export const AUTH_QUERY_CACHE_MS = 60_000
/**
 * A failed login fetches the secret again (a password changed on the server) only when the cached one
 * is at least this old, so a stream of wrong passwords costs the server one query a second at most.
 */
export const AUTH_QUERY_REFETCH_MS = 1_000

/** The cached answer: the user's credential, or null when the query found no usable secret. */
interface Cached {
  credential: UserCredential | null
  fetchedAt: number
}

/** The auth_query state of one (database, user) pool. */
export class AuthQuery {
  private cached?: Cached
  private inflight?: Promise<UserCredential | null>

  constructor(
    readonly settings: AuthQuerySettings,
    readonly username: string,
    /** The pool's server login, shared by its server pools: the secret goes in here. */
    private readonly login: ServerLogin | undefined,
    /** Where the query runs: the primary of shard 0 as it is now. */
    private readonly target: () => ServerAddress,
    private readonly connector: ServerConnector,
    private readonly pool: string,
  ) {
    if (login !== undefined) {
      login.noPasswordHint =
        'the password comes from auth_query: log in once as this user with SCRAM (or md5) so Skiff learns what the server needs'
      login.onAuthRejected = () => this.invalidate()
    }
  }

  /** The cached credential (null: no such user) while fresh; undefined when it must be fetched. */
  current(now = Date.now()): UserCredential | null | undefined {
    const c = this.cached
    return c !== undefined && now - c.fetchedAt < AUTH_QUERY_CACHE_MS ? c.credential : undefined
  }

  /** Fetches the secret (one query at a time per user); rejects with a FATAL GatewayError. */
  fetch(): Promise<UserCredential | null> {
    this.inflight ??= this.query().finally(() => {
      this.inflight = undefined
    })
    return this.inflight
  }

  /** After a failed login: the secret fetched anew, or undefined when the cached one is too recent. */
  refetchAfterFailure(now = Date.now()): Promise<UserCredential | null> | undefined {
    const c = this.cached
    if (c !== undefined && now - c.fetchedAt < AUTH_QUERY_REFETCH_MS) return undefined
    return this.fetch()
  }

  /** The server refused our login: the next client login fetches the secret first. */
  invalidate(): void {
    if (this.cached !== undefined) this.cached.fetchedAt = 0
    if (this.login !== undefined) this.login.scramKeys = undefined
  }

  /**
   * A client logged in against `credential`: what its proof revealed lets server connections log in
   * with a SCRAM secret (ClientKey, or the cleartext password to derive it from).
   */
  learn(credential: UserCredential, proof: AuthProof | undefined): void {
    const login = this.login
    if (login === undefined || proof === undefined || this.cached?.credential !== credential) return
    const secret = parseScramSecret(credential.password ?? '')
    if (secret === undefined || sameSecret(login.scramKeys, secret)) return
    login.scramKeys = keysOf(secret, proof)
  }

  private async query(): Promise<UserCredential | null> {
    let text: string | null
    try {
      text = await runAuthQuery(this.settings, this.username, this.target(), this.connector)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      log.warn('auth_query failed', { pool: this.pool, user: this.username, error: reason })
      throw new GatewayError('SERVER_AUTH_FAILED', `auth_query for user "${this.username}" failed`, {
        severity: 'FATAL',
        detail: reason,
        hint: `check auth_query, auth_query_user and auth_query_password of pool "${this.pool}" (and that auth_query_user may read the secrets)`,
      })
    }
    return this.store(text)
  }

  /** Keeps what the query returned; the server login follows the new secret. */
  private store(text: string | null): UserCredential | null {
    const previous = this.cached?.credential
    const credential =
      text === null
        ? null
        : previous?.password === text
          ? previous
          : { username: this.username, password: text }
    this.cached = { credential, fetchedAt: Date.now() }
    const login = this.login
    if (login !== undefined && credential !== previous) {
      const secret = text === null ? undefined : parseScramSecret(text)
      // An md5 hash or a plaintext password logs in by itself; a SCRAM secret needs a client's proof.
      login.password = text === null || secret !== undefined ? undefined : text
      if (secret === undefined || !sameSecret(login.scramKeys, secret)) login.scramKeys = undefined
    }
    return credential
  }
}

/** True when `keys` belong to `secret` (same salt, iterations and StoredKey). */
function sameSecret(keys: ScramClientKeys | undefined, secret: ScramSecret): boolean {
  return (
    keys !== undefined &&
    keys.iterations === secret.iterations &&
    keys.salt.equals(secret.salt) &&
    sha256(keys.clientKey).equals(secret.storedKey)
  )
}

/** The SCRAM keys a proof gives for `secret`. */
function keysOf(secret: ScramSecret, proof: AuthProof): ScramClientKeys | undefined {
  const { salt, iterations, serverKey } = secret
  if ('clientKey' in proof) return { clientKey: proof.clientKey, serverKey, salt, iterations }
  const derived = deriveScramKeys(scramPasswordBytes(proof.password), salt, iterations)
  return { clientKey: derived.clientKey, serverKey: derived.serverKey, salt, iterations }
}
