/**
 * The commands that change things: RELOAD, PAUSE [db], RESUME [db], SHUTDOWN (the gateway's
 * AdminActions) and KILL_CLIENT id. They check their arguments and report as PgBouncer does; the
 * gateway does the work. PAUSE answers once the transactions in flight have finished.
 * @see https://www.pgbouncer.org/usage.html#process-controlling-commands
 * @module
 */
import { SqlState } from '../protocol/sqlstate.js'
import { type AdminResult, AdminState, done, failed } from './admin-results.js'
import type { AdminActions, AdminCommand, AdminSources } from './admin-sources.js'

/** SQLSTATE of a config file the gateway could not load (Postgres's config_file_error). */
const CONFIG_FILE_ERROR = 'F0000'

function noActions(name: string): AdminResult {
  return failed(SqlState.FeatureNotSupported, `${name} is not available in this gateway`)
}

/** Runs `body` with the gateway's actions, or answers 0A000 without them. */
function withActions(
  name: string,
  body: (
    actions: AdminActions,
    src: AdminSources,
    args: readonly string[],
  ) => AdminResult | Promise<AdminResult>,
) {
  return (src: AdminSources, args: readonly string[]) =>
    src.actions === undefined ? noActions(name) : body(src.actions, src, args)
}

async function reload(actions: AdminActions): Promise<AdminResult> {
  const outcome = await actions.reload()
  if (outcome.ok) return done('RELOAD')
  return failed(
    CONFIG_FILE_ERROR,
    'the config was not reloaded; the old one stays',
    outcome.errors.join('; '),
  )
}

/** An error when `database` is given and no pool has it. */
function unknownDatabase(src: AdminSources, database: string | undefined): AdminResult | undefined {
  if (database === undefined) return undefined
  for (const pool of src.pools.userPools()) if (pool.database === database) return undefined
  return failed(SqlState.InvalidCatalogName, `no such database: ${database}`, 'see SHOW DATABASES')
}

async function pause(
  actions: AdminActions,
  src: AdminSources,
  args: readonly string[],
): Promise<AdminResult> {
  const db = args[0]
  const unknown = unknownDatabase(src, db)
  if (unknown !== undefined) return unknown
  // PgBouncer refuses a second PAUSE rather than waiting again.
  if (actions.isPaused(db))
    return failed(
      AdminState.NotInPrerequisiteState,
      db === undefined ? 'already paused' : `database ${db} is already paused`,
    )
  await actions.pause(db)
  return done('PAUSE')
}

function resume(actions: AdminActions, src: AdminSources, args: readonly string[]): AdminResult {
  const db = args[0]
  const unknown = unknownDatabase(src, db)
  if (unknown !== undefined) return unknown
  if (!actions.isPaused(db))
    return failed(
      AdminState.NotInPrerequisiteState,
      db === undefined ? 'the pooler is not paused' : `database ${db} is not paused`,
    )
  actions.resume(db)
  return done('RESUME')
}

function shutdown(actions: AdminActions): AdminResult {
  // After this reply is written: the shutdown closes this session too.
  setImmediate(() => actions.shutdown())
  return done('SHUTDOWN')
}

function killClient(src: AdminSources, args: readonly string[]): AdminResult {
  const id = Number(args[0])
  if (args[0] === undefined || !Number.isInteger(id))
    return failed(SqlState.SyntaxError, 'KILL_CLIENT needs a client id', 'see SHOW CLIENTS (client_id)')
  for (const client of src.clients()) {
    if (client.id !== id) continue
    if (client.kill === undefined) return noActions('KILL_CLIENT')
    client.kill()
    return done('KILL_CLIENT')
  }
  return failed(AdminState.UndefinedObject, `no such client: ${id}`, 'see SHOW CLIENTS')
}

/** RELOAD, PAUSE, RESUME, SHUTDOWN, KILL_CLIENT. */
export const CONTROL_COMMANDS: readonly AdminCommand[] = [
  { name: 'RELOAD', help: 'reads the config file again', maxArgs: 0, run: withActions('RELOAD', reload) },
  {
    name: 'PAUSE',
    args: '[db]',
    help: 'holds new transactions once those in flight end',
    maxArgs: 1,
    run: withActions('PAUSE', pause),
  },
  {
    name: 'RESUME',
    args: '[db]',
    help: 'lets paused transactions go on',
    maxArgs: 1,
    run: withActions('RESUME', resume),
  },
  {
    name: 'SHUTDOWN',
    help: 'shuts the gateway down gracefully',
    maxArgs: 0,
    run: withActions('SHUTDOWN', shutdown),
  },
  { name: 'KILL_CLIENT', args: 'id', help: 'closes a client (57P01)', maxArgs: 1, run: killClient },
]
