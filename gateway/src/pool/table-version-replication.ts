/**
 * One logical replication connection for table versions (`[pools.X] table_versions = "logical"`,
 * issue 22): on one primary, it logs in as the pool's first user with `replication=database`, makes
 * sure the publication `skiff_table_versions` (FOR ALL TABLES) exists, creates a TEMPORARY slot with
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
 * The user needs the REPLICATION attribute (or superuser); the publication is created only if missing,
 * which needs a superuser (or create it once yourself: `CREATE PUBLICATION skiff_table_versions FOR ALL
 * TABLES`). A refusal is logged (without secrets) and retried like a lost connection.
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
/** Creates the publication unless it exists (checked first: only a superuser may create it). */
const CREATE_PUBLICATION = `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = '${PUBLICATION}') THEN CREATE PUBLICATION ${PUBLICATION} FOR ALL TABLES; END IF; END $$`
const STATUS_INTERVAL_MS = 10_000
const MAX_RETRY_MS = 30_000

type Step = 'login' | 'publication' | 'slot' | 'start' | 'streaming'

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

  /** Opens the connection (again after a failure, until closed). */
  start(): void {
    if (this.closed) return
    this.step = 'login'
    this.slot = `skiff_tv_${process.pid}_${++TableVersionReplication.count}`
    this.startup = new ServerStartup(this.address, {
      ...this.login,
      statementTimeout: 0,
      clientParams: [['replication', 'database']],
    })
    const reader = new PgOutputReader({
      committed: (tables) => this.versions.bump(this.database, tables),
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
      if (out === 'ready') return this.next('publication', CREATE_PUBLICATION)
      if (out !== undefined) this.socket?.write(out)
      return
    }
    if (code === BackendCode.ErrorResponse) {
      const fields = parseErrorFields(buf, start, end)
      // An existing publication is what we want (42710 duplicate_object).
      if (this.step === 'publication' && fields.get('C') === '42710') return
      throw new Error(`${fields.get('C') ?? ''} ${fields.get('M') ?? 'refused'}`.trim())
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
