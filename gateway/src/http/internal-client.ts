/**
 * A Postgres client living inside the gateway: an HTTP request speaks the wire protocol, in memory, to an
 * ordinary ClientSession. So `/sql` shares login, pools, routing, transaction-mode cleanup, statistics and
 * logs with TCP and WebSocket clients: there is no second code path for queries.
 * @module
 */
import type {
  BackendMessage,
  CommandCompleteMessage,
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
}

interface Pending {
  ready: number
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
  private ended = false

  constructor(
    context: ClientContext,
    readonly remoteAddress: string,
    readonly preAuthenticated: PreAuthenticatedIdentity | undefined,
    /** Result bytes allowed before the request fails with RESPONSE_TOO_LARGE. */
    private readonly maxResponseBytes: number,
  ) {
    this.session = new ClientSession(context, this)
  }

  /** Sends protocol bytes; resolves once `ready` ReadyForQuery messages have arrived. */
  send(bytes: Buffer, ready: number): Promise<Exchange> {
    if (this.ended) return Promise.reject(lost())
    return new Promise((resolve, reject) => {
      this.pending = { ready, exchange: { results: [], status: 'I' }, resolve, reject }
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
    if (p === undefined) return
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
