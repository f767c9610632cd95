/**
 * Read-your-writes for one client (read_your_writes = true): after a transaction of the client's that
 * may have written ends on a primary, the gateway learns the primary's WAL position (one shared query
 * serves every commit that finished before it was sent: pool/commit-lsn.ts) and keeps it in the
 * client's routing state as `minLsn`. The router then sends the client's reads only to replicas that
 * have replayed it (router/replica-fit.ts); while the position is being learned ('pending') they go to
 * the primary. Over HTTP the position goes back in the `Skiff-Lsn` header, and a request that carries
 * one gets the same guarantee.
 *
 * When the position cannot be learned (the primary failed the query), `minLsn` stays 'pending': the
 * client's reads stay on the primary until its next write is learned. Never stale, at the cost of
 * replica reads for that client.
 * @module
 */
import type { ServerPool } from '../pool/server-pool.js'
import type { RoutingState } from '../router/route.js'

/** Called with the client's position once known (undefined: none, or it could not be learned). */
export type PositionCallback = (lsn: bigint | undefined) => void

/** The position of one client's last commit. */
export class CommitPosition {
  /** Numbers the requests: only the latest commit's answer counts (an older one may come back last). */
  private seq = 0
  private waiters: PositionCallback[] = []

  constructor(private readonly routing: RoutingState) {}

  /** A transaction that may have written ended on `pool`'s server: learn where the primary is now. */
  committed(pool: ServerPool): void {
    const source = pool.commitLsn
    if (source === undefined) return
    const seq = ++this.seq
    this.learning = true
    this.routing.minLsn = 'pending'
    source.request((lsn) => {
      if (seq !== this.seq) return
      this.learning = false
      if (lsn !== undefined) this.routing.minLsn = lsn
      this.flush()
    })
  }

  /** Calls `cb` with the client's position once no commit's position is being learned. */
  whenKnown(cb: PositionCallback): void {
    if (this.learning) this.waiters.push(cb)
    else cb(this.known())
  }

  private learning = false

  private known(): bigint | undefined {
    const lsn = this.routing.minLsn
    return typeof lsn === 'bigint' ? lsn : undefined
  }

  private flush(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const cb of waiters) cb(this.known())
  }
}
