/**
 * Identity of one Postgres server and the login the gateway uses on it.
 * @module
 */
import type { ScramClientKeys } from '../auth/scram-client.js'
import type { ServerTls } from './server-tls.js'

/** Where a server connection goes: one entry of `pools.<db>.shards.<n>.servers`. */
export interface ServerAddress {
  host: string
  port: number
  role: 'primary' | 'replica'
  /** The real database name on that server (`shards.<n>.database`). */
  database: string
  shard: number
  /** Share of the reads in random load balancing (the server entry's fourth element; default 1). */
  weight?: number
}

/** The login the gateway uses towards the server (`server_username`/`server_password`, else the user's own). */
export interface ServerLogin {
  username: string
  /** Plaintext password, or a stored `md5…` hash (enough for md5 auth only). */
  password?: string
  /** auth_query users: the SCRAM keys a client's login revealed, used when there is no password. */
  scramKeys?: ScramClientKeys
  /** auth_query users: told when the server refuses the login (28xxx), so the secret is fetched anew. */
  onAuthRejected?: () => void
  /** What to tell the operator when the server asks for a password and none is known. */
  noPasswordHint?: string
  applicationName: string
  /** Milliseconds; sent as the server's own `statement_timeout` so Postgres cancels with 57014. */
  statementTimeout: number
  connectTimeout: number
  /** TLS before the login (`general.server_tls`); undefined for plaintext. */
  tls?: ServerTls
  /** A session-mode client's own startup parameters, sent as it sent them (see session/startup-settings.ts). */
  clientParams?: ReadonlyArray<readonly [string, string]>
}

/** `host:port/database` for messages and logs. */
export function describeAddress(a: ServerAddress): string {
  return `${a.host}:${a.port}/${a.database} (${a.role}, shard ${a.shard})`
}
