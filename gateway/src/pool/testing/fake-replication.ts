/**
 * The replication state every backend of a fake cluster reports: primary or standby, WAL position,
 * lag. It answers the server monitor's reading (replication-reading.ts) and the commit-LSN query
 * (commit-lsn.ts); tests move the state, or make the queries fail, between readings.
 * @module
 */
import { COMMIT_LSN_SQL } from '../commit-lsn.js'
import { formatLsn } from '../lsn.js'
import { READING_SQL } from '../replication-reading.js'
import { TypeOid } from './backend-messages.js'
import type { FakeCluster } from './fake-cluster.js'
import { type Outcome, rows, sqlError } from './fake-outcome.js'

/** What the backends of one cluster say about replication. */
export class FakeReplication {
  /** `pg_is_in_recovery()`. */
  inRecovery = false
  /** The replay LSN on a standby, the insert LSN on a primary (a segment's start, as after initdb). */
  lsn = 0x3000028n
  /** The reading's lag column (ms); null for SQL NULL. */
  lagMs: number | null = 0
  /** When set, the monitor's reading fails with this message (the commit-LSN query is not affected). */
  failReadingsWith?: string

  constructor(cluster: FakeCluster) {
    cluster.handle(READING_SQL, () => this.reading())
    cluster.handle(COMMIT_LSN_SQL, () => this.insertLsn())
  }

  private reading(): Outcome {
    if (this.failReadingsWith !== undefined) return sqlError('57P03', this.failReadingsWith)
    const columns = [{ name: 'r', type: TypeOid.bool }, 'lsn', 'lag']
    const lag = this.lagMs === null ? null : String(this.lagMs)
    return rows(columns, [[this.inRecovery ? 't' : 'f', formatLsn(this.lsn), lag]])
  }

  /** As Postgres: a standby has no insert position. */
  private insertLsn(): Outcome {
    if (this.inRecovery) return sqlError('55000', 'recovery is in progress', 'ERROR')
    return rows(['pg_current_wal_insert_lsn'], [[formatLsn(this.lsn)]])
  }
}
