/**
 * A Postgres client living inside the gateway: an HTTP request speaks the wire protocol, in memory, to an
 * ordinary ClientSession. So `/sql` shares login, pools, routing, transaction-mode cleanup, statistics and
 * logs with TCP and WebSocket clients: there is no second code path for queries.
 * @module
 */
import { serialize } from 'pg-protocol'
import type {
  BackendMessage,
  CommandCompleteMessage,
  CopyDataMessage,
  DatabaseError,
  DataRowMessage,
  Field,
  ReadyForQueryMessage,
  RowDescriptionMessage,
} from 'pg-protocol/dist/messages.js'
import { Parser } from 'pg-protocol/dist/parser.js'
import { GatewayError } from '../errors.js'
import type { ClientContext, ClientTransport, PreAuthenticatedIdentity } from '../session/client-context.js'
import { ClientSession } from '../session/client-session.js'

/** What one statement returned. */
export interface StatementResult {
  fields: Field[]
  rows: (string | null)[][]
  /** The CommandComplete tag, e.g. "INSERT 0 1"; "" for an empty query. */
  tag: string
}

/** Everything the session answered up to the awaited ReadyForQuery. */
export interface Exchange {
  results: StatementResult[]
  /** The first ErrorResponse, if any. */
  error?: DatabaseError
  /** Transaction status of the last ReadyForQuery ('I', 'T' or 'E'). */
  status: string
  /** The rows passed the response limit and were dropped. */
  tooLarge?: boolean
  /** The server started a COPY, which was ended at once (HTTP carries no copy data either way). */
  copy?: boolean
}

/**
 * What to do when the server asks for COPY data. 'fail' (the COPY's Execute was the last message
 * before the Sync): send CopyFail and a Sync, because Postgres ignores a Sync received during COPY IN
 * and, after the CopyFail, skips to the next Sync; one ReadyForQuery still answers the request, and the
 * connection stays usable. 'none' (more statements follow, in a batch): nothing can get ahead of the
 * next statement's Parse, which Postgres reads as COPY data and answers by closing the connection
 * (FATAL 08P01 "protocol synchronization was lost"), so the batch is rolled back; which is why
 * sql-body.ts refuses COPY before anything is sent, and this is only the backstop.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-COPY
 */
export type CopyInAnswer = 'fail' | 'none'

interface Pending {
  ready: number
  copyIn: CopyInAnswer
  exchange: Exchange
  resolve(exchange: Exchange): void
  reject(error: GatewayError): void
}

/** One HTTP request's session, seen from the client side. */
export class InternalClient implements ClientTransport {
  readonly kind = 'http'
  /** The password comes in the request, before the session asks: the Neon pipelined login. */
  readonly pipelinedPassword = 'accept'
  readonly session: ClientSession
  private readonly parser = new Parser()
  private pending?: Pending
  private fields: Field[] = []
  private rows: (string | null)[][] = []
  private responseBytes = 0
  private copyBytes = 0
  private ended = false
  /** An error the session sent before any request was pending (a refusal at accept). */
  private refusal?: DatabaseError

  constructor(
    context: ClientContext,
    readonly remoteAddress: string,
    readonly preAuthenticated: PreAuthenticatedIdentity | undefined,
    /** Result bytes allowed before the request fails with RESPONSE_TOO_LARGE. */
    private readonly maxResponseBytes: number,
  ) {
    this.session = new ClientSession(context, this)
  }

  /** Sends protocol bytes; resolves once `ready` ReadyForQuery messages have arrived. `copyIn`: see CopyInAnswer. */
  send(bytes: Buffer, ready: number, copyIn: CopyInAnswer = 'none'): Promise<Exchange> {
    if (this.ended) {
      // Refused before the request could start (max_client_conn): report the session's own error.
      const error = this.refusal
      return error === undefined
        ? Promise.reject(lost())
        : Promise.resolve({ results: [], error, status: 'I' })
    }
    return new Promise((resolve, reject) => {
      this.pending = { ready, copyIn, exchange: { results: [], status: 'I' }, resolve, reject }
      this.session.onData(bytes)
    })
  }

  /** Fails the request in progress (a timeout) and ends the session. */
  fail(error: GatewayError): void {
    const p = this.pending
    this.pending = undefined
    p?.reject(error)
    this.session.close(error.message)
  }

  /** Ends the session (returns its server connection to the pool). */
  close(reason: string): void {
    this.session.close(reason)
  }

  write(bytes: Buffer): boolean {
    this.parser.parse(bytes, (msg) => this.onMessage(msg))
    return true
  }

  end(bytes?: Buffer): void {
    if (bytes !== undefined) this.write(bytes)
    this.ended = true
    const p = this.pending
    this.pending = undefined
    if (p === undefined) return
    // A FATAL error (bad password, unknown database, lost server) ends the session: report it.
    if (p.exchange.error !== undefined) p.resolve(p.exchange)
    else p.reject(lost())
  }

  private onMessage(msg: BackendMessage): void {
    const p = this.pending
    if (p === undefined) {
      if (msg.name === 'error') this.refusal ??= msg as DatabaseError
      return
    }
    switch (msg.name) {
      case 'rowDescription':
        this.fields = (msg as RowDescriptionMessage).fields
        return
      case 'dataRow':
        return this.onDataRow(p, (msg as DataRowMessage).fields)
      case 'commandComplete':
        return this.finishStatement(p, (msg as CommandCompleteMessage).text)
      case 'emptyQuery':
        return this.finishStatement(p, '')
      case 'error':
        p.exchange.error ??= msg as DatabaseError
        return
      case 'copyInResponse':
        return this.onCopyIn(p)
      case 'copyOutResponse':
        p.exchange.copy = true
        return
      case 'copyData':
        return this.onCopyData((msg as CopyDataMessage).chunk.length)
      case 'readyForQuery':
        return this.onReadyForQuery(p, (msg as ReadyForQueryMessage).status)
    }
  }

  private onDataRow(p: Pending, row: (string | null)[]): void {
    if (this.responseBytes > this.maxResponseBytes) return
    for (const cell of row) this.responseBytes += cell === null ? 5 : cell.length + 3
    if (this.responseBytes <= this.maxResponseBytes) this.rows.push(row)
    else {
      this.rows = []
      this.session.cancelRunningQuery() // stop the server producing rows nobody will get
      p.exchange.tooLarge = true
    }
  }

  private onCopyIn(p: Pending): void {
    p.exchange.copy = true
    if (p.copyIn === 'none') return
    const end = Buffer.concat([serialize.copyFail('COPY is not available over HTTP'), serialize.sync()])
    // Not from inside the session's own reply delivery: once that returns.
    queueMicrotask(() => this.session.onData(end))
  }

  /** COPY TO output is dropped; past the response limit the server is told to stop producing it. */
  private onCopyData(bytes: number): void {
    if (this.copyBytes > this.maxResponseBytes) return
    this.copyBytes += bytes
    if (this.copyBytes > this.maxResponseBytes) this.session.cancelRunningQuery()
  }

  private finishStatement(p: Pending, tag: string): void {
    p.exchange.results.push({ fields: this.fields, rows: this.rows, tag })
    this.fields = []
    this.rows = []
  }

  private onReadyForQuery(p: Pending, status: string): void {
    p.exchange.status = status
    if (--p.ready > 0) return
    this.pending = undefined
    p.resolve(p.exchange)
  }
}

function lost(): GatewayError {
  return new GatewayError('SERVER_CONNECTION_LOST', 'the session ended before the query completed')
}
