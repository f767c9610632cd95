/**
 * The server side of a login, between authentication and the welcome. Postgres applies a client's
 * startup parameters before it says ReadyForQuery, refusing bad ones with FATAL; so does Skiff:
 * - session mode: the client's server connection is opened with its parameters as it sent them (or an
 *   idle one opened alike is taken), and is the client's from now on: its process id and its reported
 *   values are the client's;
 * - transaction mode: the client's settings are tried once on a server of the pool, whose answer (an
 *   error, or the values it reports) is kept per distinct set of parameters, so the next client sending
 *   the same ones logs in without a round trip.
 * @module
 */
import { GatewayError, serverRefusal } from '../errors.js'
import type { ServerConnection } from '../pool/server-conn.js'
import type { ServerPool } from '../pool/server-pool.js'
import type { UserPool } from '../pool/user-pool.js'
import { ClientSettings } from './client-settings.js'
import { SettingsQuery } from './param-apply.js'
import type { StartupSettings } from './startup-settings.js'

/** What the welcome is built from. */
export interface LoginServer {
  /** Reported values the client starts with. */
  params: Map<string, string>
  /** The settings that follow the client. */
  settings: ClientSettings
  /** Session mode: the client's own server connection, lent from now on. */
  server?: ServerConnection
}

/** Bounds the per-pool memory of accepted startup parameter sets. */
const MAX_ACCEPTED_STARTUPS = 1000

/** Prepares the login's server side; calls `done` once, with the result or a FATAL error. */
export function prepareLoginServer(
  pool: UserPool,
  serverPool: ServerPool,
  startup: StartupSettings,
  done: (result: LoginServer | GatewayError) => void,
): void {
  if (pool.poolMode === 'session') return sessionLogin(serverPool, startup, done)
  const settings = new ClientSettings(startup.settings)
  const accepted = startup.key === '' ? new Map<string, string>() : pool.acceptedStartups.get(startup.key)
  if (accepted !== undefined) {
    return serverPool.ensureServerParams((error) => {
      if (error !== undefined) return done(error)
      done({ params: overlay(serverPool.serverParams!, accepted, startup), settings })
    })
  }
  tryStartup(pool, serverPool, startup, settings, done)
}

function sessionLogin(
  serverPool: ServerPool,
  startup: StartupSettings,
  done: (result: LoginServer | GatewayError) => void,
): void {
  const name = startup.settings.get('application_name')
  const settings = new ClientSettings(name === undefined ? new Map() : new Map([['application_name', name]]))
  const connection = startup.key === '' ? undefined : { key: startup.key, params: startup.passThrough }
  serverPool.checkout(
    {
      onCheckout: (server) => done({ params: overlay(server.params, new Map(), startup), settings, server }),
      onCheckoutError: (error) => done(error),
    },
    true,
    connection,
  )
}

/** Applies the client's settings on a server of the pool, once per distinct set of them. */
function tryStartup(
  pool: UserPool,
  serverPool: ServerPool,
  startup: StartupSettings,
  settings: ClientSettings,
  done: (result: LoginServer | GatewayError) => void,
): void {
  const onCheckout = (server: ServerConnection) => {
    const finish = (fields?: Map<string, string>, lost?: string) => {
      // Values the server reports for the client's names, as it reports them (canonical names and forms).
      const reported = new Map<string, string>()
      for (const [name, value] of server.params)
        if (settings.wanted.has(name.toLowerCase())) reported.set(name, value)
      if (fields === undefined && lost === undefined) {
        if (pool.acceptedStartups.size >= MAX_ACCEPTED_STARTUPS) pool.acceptedStartups.clear()
        pool.acceptedStartups.set(startup.key, reported)
      }
      serverPool.checkin(server, 'transaction')
      if (fields !== undefined) return done(serverRefusal(fields))
      if (lost !== undefined)
        return done(new GatewayError('SERVER_CONNECTION_LOST', lost, { severity: 'FATAL' }))
      done({ params: overlay(server.params, reported, startup), settings })
    }
    const sql = settings.planFor(server.settings)
    if (sql === undefined) return finish()
    const before = server.settings
    server.settings = new Map(settings.wanted)
    const query: SettingsQuery = new SettingsQuery((error) => {
      if (error !== undefined) server.settings = before // the statement failed as a whole
      finish(query.errorFields, query.errorFields === undefined ? error : undefined)
    })
    server.sendInternal(query, [sql])
  }
  serverPool.checkout({ onCheckout, onCheckoutError: done }, false)
}

/** The server's values, then what the client's settings made of them, then its application_name. */
function overlay(
  server: ReadonlyMap<string, string>,
  reported: ReadonlyMap<string, string>,
  startup: StartupSettings,
): Map<string, string> {
  const params = new Map(server)
  for (const [name, value] of reported) params.set(name, value)
  const name = startup.settings.get('application_name')
  if (name !== undefined) params.set('application_name', name)
  return params
}
