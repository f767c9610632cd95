/**
 * One logical replication connection for table versions (`[pools.X] table_versions = "logical"`,
 * issue 22): on one primary, it logs in as the pool's first user with `replication=database`, checks
 * that the publication `skiff_table_versions` exists, creates a TEMPORARY slot with
 * the `pgoutput` plugin, and streams it; each committed transaction bumps the versions of the tables
 * it changed, so writes that bypass Skiff (psql on the server, another app) count too.
 *
 * A temporary slot is dropped by Postgres when the connection ends, a crash included, so a stopped or
 * crashed gateway never leaves a slot holding WAL. The price: changes made while no stream runs are
 * not seen, so each (re)start of the stream bumps every table of the database (the cache's entries
 * all look old), and a lost connection is retried after 1 s, doubling to 30 s. Status updates confirm
 * every position received, every 10 s and whenever the server asks.
 *
 * With `general.server_tls` the stream runs over TLS like every server connection.
 *
 * Beware: while a publication FOR ALL TABLES that publishes updates and deletes exists, Postgres
 * refuses UPDATE and DELETE on a table without a replica identity (no primary key, no REPLICA
 * IDENTITY): give such tables one, or create `skiff_table_versions` yourself for the tables you cache
 * (`FOR TABLE a, b` or `FOR TABLES IN SCHEMA s`): Skiff uses the publication of that name as it is.
 *
 * The user needs the REPLICATION attribute (or superuser). Skiff never creates the publication, since
 * a FOR ALL TABLES one changes what UPDATE and DELETE accept on every table of the database: the
 * operator creates it (`CREATE PUBLICATION skiff_table_versions FOR TABLE …`, or FOR ALL TABLES after
 * checking replica identities). Missing, the stream stops with an error naming the command, logged
 * (without secrets) and retried like a lost connection.
 * @see https://www.postgresql.org/docs/current/protocol-replication.html
 * @see https://www.postgresql.org/docs/current/logical-replication-publication.html
 * @module
 */
import type net from 'node:net'
import { log } from '../log.js'
import { parseErrorFields } from '../protocol/backend-decode.js'
import { BackendCode } from '../protocol/codes.js'
import { serializeQuery, serializeTerminate } from '../protocol/frontend.js'
import { PgOutputReader, ReplicationStream, standbyStatusUpdate } from './pgoutput.js'
import { describeAddress, type ServerAddress, type ServerLogin } from './server-address.js'
import { openTcp } from './server-connector.js'
import { ServerStartup } from './server-startup.js'
import { negotiateServerTls } from './server-tls.js'
import { type TableVersions, tableVersions } from './table-versions.js'

/** The publication every slot reads (one per database on the server). */
export const PUBLICATION = 'skiff_table_versions'
/** Fails, with the command to run, unless the operator created the publication. */
const CHECK_PUBLICATION = `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = '${PUBLICATION}') THEN RAISE EXCEPTION 'publication ${PUBLICATION} does not exist in this database' USING HINT = 'create it: CREATE PUBLICATION ${PUBLICATION} FOR TABLE <the tables you cache> (or FOR ALL TABLES, once every table has a primary key or REPLICA IDENTITY, since UPDATE and DELETE are refused on the others)'; END IF; END $$`
const STATUS_INTERVAL_MS = 10_000
const MAX_RETRY_MS = 30_000

type Step = 'login' | 'publication' | 'slot' | 'start' | 'streaming'

/** Where a stream is, for SHOW TABLE_VERSION_STREAMS and the metrics: a step, or waiting to retry. */
export type StreamState = Step | 'retrying' | 'closed'

/** Keeps one slot's stream running until closed. */
export class TableVersionReplication {
  /** The temporary slot's name on the server (a new one per connection). */
  slot = ''
  private socket?: net.Socket
  private step: Step = 'login'
  private startup?: ServerStartup
  private closed = false
  private retryMs = 1000
  private retryTimer?: NodeJS.Timeout
  private statusTimer?: NodeJS.Timeout
  private reader?: PgOutputReader
  private static count = 0
  /** Transactions with changes to published tables read since start (each bumped their tables). */
  commits = 0
  /** Why the stream last stopped (the server's error or the socket's), until it streams again. */
  lastError: string | undefined
  private waiting = false

  constructor(
    /** The pool's name: the database whose versions are bumped. */
    readonly database: string,
    readonly address: ServerAddress,
    private readonly login: ServerLogin,
    private readonly versions: TableVersions = tableVersions,
  ) {}

  /** True once the slot streams. */
  get streaming(): boolean {
    return this.step === 'streaming'
  }

  /** The step it is at, `retrying` while it waits to reconnect, or `closed`. */
  get state(): StreamState {
    if (this.closed) return 'closed'
    return this.waiting ? 'retrying' : this.step
  }

  /** The WAL position received so far on the current connection (0 before any). */
  get receivedLsn(): bigint {
    return this.reader?.lsn ?? 0n
  }

  /** Opens the connection (again after a failure, until closed). */
  start(): void {
    if (this.closed) return
    this.waiting = false
    this.step = 'login'
    this.slot = `skiff_tv_${process.pid}_${++TableVersionReplication.count}`
    this.startup = new ServerStartup(this.address, {
      ...this.login,
      statementTimeout: 0,
      clientParams: [['replication', 'database']],
    })
    const reader = new PgOutputReader({
      committed: (tables) => {
        this.commits++
        this.versions.bump(this.database, tables)
      },
      replyRequested: () => this.sendStatus(),
    })
    this.reader = reader
    const stream = new ReplicationStream(reader, (code, buf, start, end) => {
      try {
        this.other(code, buf, start, end)
      } catch (err) {
        this.lost(err instanceof Error ? err.message : String(err))
      }
    })
    const plain = openTcp(this.address) as net.Socket
    this.socket = plain
    this.watch(plain)
    const begin = (socket: net.Socket) => {
      socket.on('data', (chunk: Buffer) => stream.push(chunk))
      socket.write(this.startup!.startupMessage())
    }
    plain.on('connect', () => {
      const tls = this.login.tls
      if (tls === undefined) return begin(plain)
      negotiateServerTls(
        plain,
        this.address.host,
        tls,
        (reason) => this.lost(reason),
        (secure) => {
          // The plain socket only carries the TLS one from now on: its events no longer count.
          plain
            .removeAllListeners('error')
            .removeAllListeners('close')
            .on('error', () => {})
          this.socket = secure
          this.watch(secure)
          begin(secure)
        },
      )
    })
  }

  private watch(socket: net.Socket): void {
    socket.on('error', (err) => this.lost(err.message))
    socket.on('close', () => this.lost('the server closed the connection'))
  }

  /** Stops for good; Postgres drops the temporary slot as the connection ends. */
  close(): void {
    this.closed = true
    clearTimeout(this.retryTimer)
    clearInterval(this.statusTimer)
    const socket = this.socket
    this.socket = undefined
    if (socket !== undefined && !socket.destroyed) socket.end(serializeTerminate())
  }

  /** Every message that is not CopyData: the login, the setup commands' replies, errors. */
  private other(code: number, buf: Buffer, start: number, end: number): void {
    if (this.step === 'login') {
      const out = this.startup!.handle(code, buf, start, end)
      if (out === 'ready') return this.next('publication', CHECK_PUBLICATION)
      if (out !== undefined) this.socket?.write(out)
      return
    }
    if (code === BackendCode.ErrorResponse) {
      const fields = parseErrorFields(buf, start, end)
      const hint = fields.get('H') === undefined ? '' : ` (${fields.get('H')})`
      throw new Error(`${fields.get('C') ?? ''} ${fields.get('M') ?? 'refused'}${hint}`.trim())
    }
    if (code === BackendCode.ReadyForQuery && this.step === 'publication') {
      return this.next(
        'slot',
        `CREATE_REPLICATION_SLOT ${this.slot} TEMPORARY LOGICAL pgoutput NOEXPORT_SNAPSHOT`,
      )
    }
    if (code === BackendCode.ReadyForQuery && this.step === 'slot') {
      const options = `(proto_version '1', publication_names '${PUBLICATION}')`
      return this.next('start', `START_REPLICATION SLOT ${this.slot} LOGICAL 0/0 ${options}`)
    }
    if (code === BackendCode.CopyBothResponse && this.step === 'start') this.streamingStarted()
  }

  private next(step: Step, sql: string): void {
    this.step = step
    this.socket?.write(serializeQuery(sql))
  }

  private streamingStarted(): void {
    this.step = 'streaming'
    this.retryMs = 1000
    this.lastError = undefined
    // Changes made while no stream ran were not seen: every cached entry of the database is old now.
    this.versions.bumpAll(this.database)
    clearInterval(this.statusTimer)
    this.statusTimer = setInterval(() => this.sendStatus(), STATUS_INTERVAL_MS)
    this.statusTimer.unref()
    log.info('table versions: streaming logical replication', {
      server: describeAddress(this.address),
      slot: this.slot,
    })
  }

  private sendStatus(): void {
    const reader = this.reader
    if (this.step === 'streaming' && reader !== undefined && reader.lsn > 0n)
      this.socket?.write(standbyStatusUpdate(reader.lsn))
  }

  /** The connection failed or ended: bump everything (changes may be missed) and try again later. */
  private lost(reason: string): void {
    const socket = this.socket
    if (socket === undefined || this.closed) return
    this.socket = undefined
    socket.destroy()
    clearInterval(this.statusTimer)
    if (this.step === 'streaming') this.versions.bumpAll(this.database)
    this.lastError = reason
    this.waiting = true
    log.warn('table versions: logical replication stopped; retrying', {
      server: describeAddress(this.address),
      reason,
      retryInMs: this.retryMs,
    })
    this.retryTimer = setTimeout(() => this.start(), this.retryMs)
    this.retryTimer.unref()
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS)
  }
}
