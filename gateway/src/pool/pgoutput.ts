/**
 * Reads the stream of a logical replication slot with the `pgoutput` plugin (proto_version 1), for
 * table versions (issue 22): which tables each committed transaction changed. Bytes in, events out;
 * no sockets (table-version-replication.ts owns the connection).
 *
 * After START_REPLICATION the server sends CopyData messages, each holding either XLogData (`w`: WAL
 * start, WAL end, send time, then one pgoutput message) or a primary keepalive (`k`: WAL end, send time,
 * reply requested). Of pgoutput's messages only these matter: Relation (`R`: relation id → namespace
 * and name, sent before the first change of a relation in a session and again when it changes),
 * Insert, Update and Delete (`I`, `U`, `D`: a relation id first), Truncate (`T`: relation ids), and
 * Commit (`C`), at which the transaction's tables are reported. Begin, Origin, Type and Message are
 * skipped. The client answers with Standby Status Updates (`r`) so the slot can release WAL.
 * @see https://www.postgresql.org/docs/current/protocol-replication.html#PROTOCOL-REPLICATION-START-REPLICATION
 * @see https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
 * @module
 */
import { BackendCode } from '../protocol/codes.js'
import { MessageFramer } from '../protocol/framer.js'

/** Microseconds from the Unix epoch to Postgres's (2000-01-01). */
const PG_EPOCH_MICROS = 946_684_800_000_000n

/** What the reader reports. */
export interface PgOutputEvents {
  /** A transaction that changed these tables (`schema.table`) committed. */
  committed(tables: ReadonlySet<string>): void
  /** The server asked for a status update now (a keepalive with reply requested). */
  replyRequested(): void
}

/** Decodes one slot's CopyData stream; `lsn` is the WAL position received so far. */
export class PgOutputReader {
  /** The furthest WAL end the server reported: what a status update confirms. */
  lsn = 0n
  private readonly relations = new Map<number, string>()
  private changed = new Set<string>()
  /** Changes of relations whose Relation message has not come (should not happen): bump them all. */
  unknownRelations = 0

  constructor(private readonly events: PgOutputEvents) {}

  /** One CopyData body `buf[start, end)` (without the `d` header). */
  copyData(buf: Buffer, start: number, end: number): void {
    const kind = buf[start]
    if (kind === 0x77 /* w */ && end - start >= 25) {
      this.advance(buf.readBigUInt64BE(start + 9))
      this.message(buf, start + 25, end)
    } else if (kind === 0x6b /* k */ && end - start >= 18) {
      this.advance(buf.readBigUInt64BE(start + 1))
      if (buf[start + 17] === 1) this.events.replyRequested()
    }
  }

  private advance(lsn: bigint): void {
    if (lsn > this.lsn) this.lsn = lsn
  }

  /** One pgoutput message. */
  private message(buf: Buffer, start: number, end: number): void {
    switch (buf[start]) {
      case 0x52: // R
        return this.relation(buf, start + 1, end)
      case 0x49: // I
      case 0x55: // U
      case 0x44: // D
        return this.change(buf.readUInt32BE(start + 1))
      case 0x54: {
        // T: Int32 count, Int8 options, then the ids.
        const n = buf.readInt32BE(start + 1)
        for (let i = 0; i < n; i++) this.change(buf.readUInt32BE(start + 6 + 4 * i))
        return
      }
      case 0x43: // C
        return this.commit()
    }
  }

  private relation(buf: Buffer, at: number, end: number): void {
    const id = buf.readUInt32BE(at)
    const nsEnd = buf.indexOf(0, at + 4)
    const nameEnd = nsEnd < 0 ? -1 : buf.indexOf(0, nsEnd + 1)
    if (nameEnd < 0 || nameEnd >= end) return
    const namespace = buf.toString('utf8', at + 4, nsEnd) || 'pg_catalog'
    this.relations.set(id, `${namespace}.${buf.toString('utf8', nsEnd + 1, nameEnd)}`)
  }

  private change(relationId: number): void {
    const name = this.relations.get(relationId)
    if (name === undefined) this.unknownRelations++
    else this.changed.add(name)
  }

  private commit(): void {
    if (this.changed.size === 0) return
    const tables = this.changed
    this.changed = new Set()
    this.events.committed(tables)
  }
}

/**
 * The backend side of a replication connection once streaming: frames messages and hands CopyData
 * bodies to a {@link PgOutputReader}; other messages (CopyBothResponse, an ErrorResponse, CopyDone)
 * go to `other`.
 */
export class ReplicationStream {
  private readonly framer = new MessageFramer()

  constructor(
    readonly reader: PgOutputReader,
    private readonly other: (code: number, buf: Buffer, start: number, end: number) => void,
  ) {}

  /** Bytes as they arrive, split anywhere. */
  push(chunk: Buffer): void {
    const f = this.framer
    f.push(chunk)
    while (f.next()) {
      if (f.code === BackendCode.CopyData) this.reader.copyData(f.buffer, f.start + 5, f.end)
      else this.other(f.code, f.buffer, f.start, f.end)
    }
  }
}

/** A Standby Status Update in a CopyData message: written, flushed and applied up to `lsn`. */
export function standbyStatusUpdate(lsn: bigint, nowMs = Date.now()): Buffer {
  const out = Buffer.alloc(1 + 4 + 34)
  out[0] = 0x64 // d
  out.writeInt32BE(4 + 34, 1)
  out[5] = 0x72 // r
  out.writeBigUInt64BE(lsn, 6)
  out.writeBigUInt64BE(lsn, 14)
  out.writeBigUInt64BE(lsn, 22)
  out.writeBigInt64BE(BigInt(nowMs) * 1000n - PG_EPOCH_MICROS, 30)
  out[38] = 0
  return out
}
