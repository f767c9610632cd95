/**
 * SHOW BANS (the servers banned now, why and until when), BAN host:port [seconds] and UNBAN host:port:
 * the ban state of each server pool (pool/server-health.ts), which the router reads to route around a
 * server. A ban applies to every pool of that address; without seconds it lasts ban_time.
 * @module
 */
import type { ServerPool } from '../pool/server-pool.js'
import { SqlState } from '../protocol/sqlstate.js'
import { type AdminColumn, AdminState, type AdminValue, done, failed, Oid, rows } from './admin-results.js'
import type { AdminCommand, AdminSources } from './admin-sources.js'

const T = Oid.text
const I8 = Oid.int8

const BAN_COLUMNS: AdminColumn[] = [
  ['database', T],
  ['user', T],
  ['address_id', T],
  ['reason', T],
  ['banned_until', T],
  ['seconds_left', I8],
]

function showBans(src: AdminSources) {
  const now = Date.now()
  const out: AdminValue[][] = []
  for (const pool of src.pools.userPools())
    for (const sp of pool.serverPools()) {
      if (!sp.health.banned(now)) continue
      const until = sp.health.bannedUntil
      out.push([
        pool.database,
        pool.username,
        addressId(sp),
        sp.health.banReason ?? '',
        new Date(until).toISOString(),
        Math.ceil((until - now) / 1000),
      ])
    }
  return rows(BAN_COLUMNS, out)
}

function addressId(sp: ServerPool): string {
  return `${sp.address.host}:${sp.address.port}`
}

/** The server pools of `address` (host:port), or an error naming the known ones. */
function poolsAt(src: AdminSources, address: string | undefined): ServerPool[] | ReturnType<typeof failed> {
  if (address === undefined)
    return failed(SqlState.SyntaxError, 'a server is needed: host:port', 'see SHOW DATABASES')
  const all = [...src.pools.userPools()].flatMap((p) => [...p.serverPools()])
  const found = all.filter((sp) => addressId(sp) === address)
  if (found.length > 0) return found
  const known = [...new Set(all.map(addressId))].join(', ')
  return failed(AdminState.UndefinedObject, `no such server: ${address}`, `servers: ${known}`)
}

function ban(src: AdminSources, args: readonly string[]) {
  const pools = poolsAt(src, args[0])
  if (!Array.isArray(pools)) return pools
  const seconds = args[1] === undefined ? undefined : Number(args[1])
  if (seconds !== undefined && !(Number.isInteger(seconds) && seconds > 0))
    return failed(
      SqlState.InvalidParameterValue,
      `invalid ban duration "${args[1]}"`,
      'seconds, a positive integer',
    )
  if (seconds === undefined && pools.some((sp) => sp.health.banTime <= 0))
    return failed(
      SqlState.InvalidParameterValue,
      'ban_time is 0 (bans are off)',
      'give the seconds: BAN host:port 60',
    )
  const now = Date.now()
  for (const sp of pools)
    sp.health.ban(
      'BAN from the admin console',
      now,
      seconds === undefined ? sp.health.banTime : seconds * 1000,
    )
  return done('BAN')
}

function unban(src: AdminSources, args: readonly string[]) {
  const pools = poolsAt(src, args[0])
  if (!Array.isArray(pools)) return pools
  for (const sp of pools) sp.health.unban('UNBAN from the admin console')
  return done('UNBAN')
}

/** SHOW BANS, BAN, UNBAN. */
export const BAN_COMMANDS: readonly AdminCommand[] = [
  { name: 'SHOW BANS', help: 'banned servers: why and until when', columns: BAN_COLUMNS, run: showBans },
  {
    name: 'BAN',
    args: 'host:port [seconds]',
    help: 'routes around a server (ban_time by default)',
    maxArgs: 2,
    run: ban,
  },
  { name: 'UNBAN', args: 'host:port', help: 'ends the ban of a server', maxArgs: 1, run: unban },
]
