/**
 * The MultiShard binding: one server connection per shard, the client's request sent to each, and
 * their replies merged (protocol/reply-merger.ts) into the one stream a single server would send. It
 * serves a transaction from its first request to its end, like Direct, so a BEGIN … COMMIT over all
 * shards holds one connection on each. Today the session sends it simple Query messages only (the
 * merger needs every server to answer every Query; see its header). For a cross-shard read the
 * merged stream goes through a CrossShardResult, which combines the shards' rows into the one result
 * the query asks for (groups, aggregates, order, limit).
 * @module
 */
import { type GatewayError, toFatal } from '../errors.js'
import type { ReplySink } from '../pool/reply-route.js'
import type { ServerConnection } from '../pool/server-conn.js'
import type { CheckoutWaiter, ServerPool } from '../pool/server-pool.js'
import { CrossShardResult } from '../protocol/cross-shard-result.js'
import type { MergeSpec } from '../protocol/merge-spec.js'
import { ReplyMerger } from '../protocol/reply-merger.js'
import type { Binding, BindingClient } from './binding.js'

/**
 * Bytes of one server the merger may hold while it runs ahead of the others (its rows wait for their
 * RowDescription, say) before the gateway stops reading it; it is read again below half of that.
 */
const HELD_BYTES_LIMIT = 1 << 20

/** One shard's server connection inside the binding. */
class ShardLeg implements ReplySink, CheckoutWaiter {
  readonly internal = false
  server?: ServerConnection
  /** ReadyForQuery messages received from this server during the binding. */
  readies = 0
  failed = false
  /** Not read because the merger holds too much of it. */
  held = false

  constructor(
    readonly index: number,
    readonly pool: ServerPool,
    private readonly owner: MultiShardBinding,
  ) {}

  onCheckout(server: ServerConnection): void {
    this.server = server
    server.owner = this
    this.owner.prepare?.(server)
    this.owner.legReady()
  }

  onCheckoutError(error: GatewayError): void {
    this.failed = true
    this.owner.legFailed(error)
  }

  onServerData(buf: Buffer, start: number, end: number): void {
    this.owner.merger.push(this.index, buf, start, end)
    this.owner.balance()
  }

  onReadyForQuery(_status: number, _done: boolean): void {
    this.readies++
    this.owner.legAnswered()
  }

  onParameterStatus(name: string, value: string): void {
    if (this.index === 0) this.owner.client.onParameterStatus(name, value) // server 0 speaks for all
  }

  onServerLost(error: GatewayError, _reported: boolean): void {
    this.server = undefined
    this.owner.legLost(this.index, error)
  }
}

/** Several shards serving one client's transaction. */
export class MultiShardBinding implements Binding {
  readonly kind = 'multi-shard'
  readonly merger: ReplyMerger
  private readonly legs: ShardLeg[]
  private queued: Buffer[] = []
  private queuedSyncs = 0
  /** ReadyForQuery messages the client is owed, and how many went out. */
  private expected = 0
  private answered = 0
  private bindFailed = false
  private closed = false
  /** The client's socket is full: no server is read. */
  private paused = false

  /**
   * `pools`: the server pool of each shard, in shard order; `names` name them in merge errors;
   * `prepare` brings each lent server to the client's settings before the request reaches it.
   */
  constructor(
    readonly client: BindingClient,
    pools: readonly ServerPool[],
    names: readonly string[],
    readonly prepare?: (server: ServerConnection) => void,
    /** A cross-shard read: its result is combined by this plan (protocol/cross-shard-result.ts). */
    merge?: MergeSpec,
  ) {
    const toClient = (bytes: Buffer) => client.reply(bytes, 0, bytes.length)
    let output = toClient
    if (merge !== undefined) {
      const result = new CrossShardResult(merge, toClient)
      output = (bytes) => result.push(bytes, 0, bytes.length)
    }
    this.merger = new ReplyMerger(pools.length, output, { names })
    this.legs = pools.map((pool, i) => new ShardLeg(i, pool, this))
    for (const leg of this.legs) leg.pool.checkout(leg)
  }

  get busy(): boolean {
    return this.answered < this.expected || !this.attached
  }

  /** True while some request sent through the binding still waits for its ReadyForQuery. */
  get pending(): boolean {
    return this.answered < this.expected
  }

  get txnStatus(): number {
    return this.merger.status
  }

  private get attached(): boolean {
    return this.legs.every((leg) => leg.server !== undefined)
  }

  send(bytes: Buffer, syncs: number): void {
    this.expected += syncs
    this.merger.expectReady(syncs)
    if (!this.attached) {
      this.queued.push(bytes)
      this.queuedSyncs += syncs
      return
    }
    for (const leg of this.legs) leg.server!.send(leg, bytes)
  }

  /** A leg got its server: once all have, the queued request goes to every shard. */
  legReady(): void {
    if (this.closed || this.bindFailed) return this.release()
    if (!this.attached) return
    const bytes = this.queued.length === 1 ? this.queued[0]! : Buffer.concat(this.queued)
    this.queued = []
    this.queuedSyncs = 0
    for (const leg of this.legs) leg.server!.send(leg, bytes)
  }

  /** A shard had no connection to give: the request fails as a whole, the other legs go back. */
  legFailed(error: GatewayError): void {
    if (this.bindFailed || this.closed) return
    this.bindFailed = true
    const syncs = this.queuedSyncs
    this.queued = []
    this.queuedSyncs = 0
    // The client answers the queued requests with the error: nothing is owed through the shards.
    this.expected -= syncs
    this.release()
    this.client.onBindFailed(error, syncs)
  }

  /** A leg's ReadyForQuery arrived: the merged one went out when every leg has sent its own. */
  legAnswered(): void {
    let merged = Number.POSITIVE_INFINITY
    for (const leg of this.legs) merged = Math.min(merged, leg.readies)
    if (merged <= this.answered) return
    this.answered = merged
    this.client.onReadyForQuery(this.merger.status, this.answered >= this.expected)
  }

  /**
   * A shard's connection broke: the client gets one FATAL through the merger (none when a server's own
   * FATAL already went out) and is closed; the other legs go back to their pools when it is.
   */
  legLost(index: number, error: GatewayError): void {
    if (this.closed) return
    this.merger.serverLost(index, toFatal(error).toErrorResponse())
    this.client.onServerLost(error, true)
  }

  /**
   * Back-pressure per server: a server far ahead of the others is not read until the merger has let
   * most of what it holds go (the client's own back-pressure pauses every server, see pause()).
   */
  balance(): void {
    for (const leg of this.legs) {
      const held = this.merger.heldBytes(leg.index)
      if (!leg.held && held > HELD_BYTES_LIMIT) {
        leg.held = true
        leg.server?.pause()
      } else if (leg.held && held < HELD_BYTES_LIMIT / 2) {
        leg.held = false
        if (!this.paused) leg.server?.resume()
      }
    }
  }

  cancel(): void {
    for (const leg of this.legs) if (leg.server?.busy) leg.server.cancel()
  }

  pause(): void {
    this.paused = true
    for (const leg of this.legs) leg.server?.pause()
  }

  resume(): void {
    this.paused = false
    for (const leg of this.legs) if (!leg.held) leg.server?.resume()
  }

  /** Every leg's server back to its pool (cleaned as after any transaction). */
  release(): void {
    for (const leg of this.legs) {
      const server = leg.server
      if (server === undefined) continue
      leg.server = undefined
      server.owner = undefined
      server.resume()
      leg.pool.checkin(server, 'transaction')
    }
  }

  close(): void {
    this.closed = true
    for (const leg of this.legs) if (leg.server === undefined && !leg.failed) leg.pool.cancelCheckout(leg)
    this.release()
  }
}
