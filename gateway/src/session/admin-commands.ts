/**
 * The admin console's commands (database `pgcat`, `pgbouncer` or `skiff`): the table of every command
 * and the parsing of a query into one. Commands are case-insensitive and may end in a semicolon;
 * SHOW commands read the pools, the counters and the clients (admin-show-*.ts, admin-bans.ts), the
 * others call the gateway (admin-control.ts). Nothing here reaches a server.
 * @see https://www.pgbouncer.org/usage.html#admin-console
 * @module
 */
import { SqlState } from '../protocol/sqlstate.js'
import { BAN_COMMANDS } from './admin-bans.js'
import { CONTROL_COMMANDS } from './admin-control.js'
import { type AdminResult, failed, Oid, rows } from './admin-results.js'
import { CONFIG_COMMANDS } from './admin-show-config.js'
import { CONNECTION_COMMANDS } from './admin-show-conns.js'
import { POOL_COMMANDS } from './admin-show-pools.js'
import { STATS_COMMANDS } from './admin-show-stats.js'
import { TABLE_VERSION_COMMANDS } from './admin-show-table-versions.js'
import type { AdminCommand, AdminSources } from './admin-sources.js'

export type {
  AdminActions,
  AdminClientView,
  AdminCommand,
  AdminSources,
  ReloadOutcome,
} from './admin-sources.js'

/** Database names that lead to the admin console (PgCat's two, and ours unless a pool has that name). */
export const ADMIN_DATABASES: ReadonlySet<string> = new Set(['pgcat', 'pgbouncer', 'skiff'])

const T = Oid.text
const HELP_COLUMNS = [
  ['command', T],
  ['description', T],
] as const

const ALL: readonly AdminCommand[] = [
  { name: 'SHOW HELP', help: 'this list', columns: HELP_COLUMNS, run: showHelp },
  {
    name: 'SHOW VERSION',
    help: 'the gateway version',
    columns: [['version', T]],
    run: (s) => rows([['version', T]], [[s.version]]),
  },
  ...POOL_COMMANDS,
  ...STATS_COMMANDS,
  ...CONNECTION_COMMANDS,
  ...CONFIG_COMMANDS,
  ...BAN_COMMANDS,
  ...TABLE_VERSION_COMMANDS,
  ...CONTROL_COMMANDS,
]

const BY_NAME: ReadonlyMap<string, AdminCommand> = new Map(ALL.map((c) => [c.name, c]))

function showHelp() {
  return rows(
    HELP_COLUMNS,
    ALL.map((c) => [c.args === undefined ? c.name : `${c.name} ${c.args}`, c.help]),
  )
}

/** PgBouncer's console verbs Skiff lacks: named as unknown commands, not as SQL. */
const OTHER_VERBS = new Set([
  'SHOW',
  'KILL',
  'SUSPEND',
  'DISABLE',
  'ENABLE',
  'RECONNECT',
  'WAIT_CLOSE',
  'SET',
])

/** A query parsed into its command and arguments. */
export interface ParsedCommand {
  readonly command: AdminCommand
  readonly args: readonly string[]
}

/** The command `sql` names, or the error to answer: 42601 for a bad command, 0A000 for SQL. */
export function parseAdminCommand(sql: string): ParsedCommand | AdminResult {
  const text = sql.trim().replace(/;\s*$/, '').trim()
  const words = text.split(/\s+/).map((w) => w.replace(/^"(.*)"$/, '$1'))
  const verb = (words[0] ?? '').toUpperCase()
  const split = verb === 'SHOW' ? 2 : 1
  const name = words.slice(0, split).join(' ').toUpperCase()
  const command = BY_NAME.get(name)
  if (command !== undefined) {
    const args = words.slice(split)
    if (args.length <= (command.maxArgs ?? 0)) return { command, args }
    const usage = command.args === undefined ? command.name : `${command.name} ${command.args}`
    return failed(SqlState.SyntaxError, `too many arguments in "${text}"`, `usage: ${usage}`)
  }
  if (OTHER_VERBS.has(verb) || ALL.some((c) => c.name === verb))
    return failed(SqlState.SyntaxError, `unknown admin command "${text}"`, commandList())
  return failed(
    SqlState.FeatureNotSupported,
    'the admin console answers only its commands; see SHOW HELP',
    commandList(),
  )
}

/** Runs one query: its result, or a promise of it for a command that waits (PAUSE, RELOAD). */
export function runAdminCommand(sql: string, src: AdminSources): AdminResult | Promise<AdminResult> {
  const parsed = parseAdminCommand(sql)
  return 'command' in parsed ? parsed.command.run(src, parsed.args) : parsed
}

function commandList(): string {
  return `commands: ${ALL.map((c) => c.name).join(', ')} (SHOW HELP describes them)`
}
