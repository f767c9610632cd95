/**
 * SHOW TABLE_VERSIONS and SHOW TABLE_VERSION_STREAMS (Skiff's own, issue 22): how each database keeps
 * the table versions the edge read cache checks (pool/table-versions.ts), and the logical replication
 * streams that bump them for `table_versions = "logical"` (pool/table-version-replication.ts), so an
 * operator can see a stream that is down (and why) before a cache serves a write that bypassed Skiff
 * late. The bound then is the stream's retry, not `version_ttl`.
 * @module
 */
import { formatLsn } from '../pool/lsn.js'
import { describeAddress } from '../pool/server-address.js'
import { tableVersions } from '../pool/table-versions.js'
import { type AdminColumn, type AdminValue, Oid, rows } from './admin-results.js'
import type { AdminCommand, AdminSources } from './admin-sources.js'

const T = Oid.text
const I8 = Oid.int8

const VERSION_COLUMNS: AdminColumn[] = [
  ['database', T],
  ['mode', T],
  ['tables', I8],
  ['streams', I8],
  ['streaming', I8],
]

const STREAM_COLUMNS: AdminColumn[] = [
  ['database', T],
  ['address_id', T],
  ['slot', T],
  ['state', T],
  ['received_lsn', T],
  ['commits', I8],
  ['last_error', T],
]

/** One row per database of the live pools (the mode is a `[pools.X]` key, so one per database). */
function showTableVersions(src: AdminSources) {
  const streams = [...(src.tableVersionStreams?.() ?? [])]
  const modes = new Map<string, string>()
  for (const pool of src.pools.userPools())
    if (!modes.has(pool.database)) modes.set(pool.database, pool.tableVersions)
  const out: AdminValue[][] = []
  for (const [database, mode] of modes) {
    const own = streams.filter((s) => s.database === database)
    const streaming = own.filter((s) => s.state === 'streaming').length
    out.push([database, mode, tableVersions.tableCount(database), own.length, streaming])
  }
  return rows(VERSION_COLUMNS, out)
}

function showStreams(src: AdminSources) {
  const out: AdminValue[][] = []
  for (const s of src.tableVersionStreams?.() ?? []) {
    const lsn = s.receivedLsn
    out.push([
      s.database,
      describeAddress(s.address),
      s.slot,
      s.state,
      lsn === 0n ? null : formatLsn(lsn),
      s.commits,
      s.lastError ?? null,
    ])
  }
  return rows(STREAM_COLUMNS, out)
}

/** SHOW TABLE_VERSIONS, SHOW TABLE_VERSION_STREAMS. */
export const TABLE_VERSION_COMMANDS: readonly AdminCommand[] = [
  {
    name: 'SHOW TABLE_VERSIONS',
    help: 'per database: how table versions are kept (off, routed, logical), tables, streams',
    columns: VERSION_COLUMNS,
    run: showTableVersions,
  },
  {
    name: 'SHOW TABLE_VERSION_STREAMS',
    help: 'the logical replication streams of table_versions = "logical": state, position, last error',
    columns: STREAM_COLUMNS,
    run: showStreams,
  },
]
