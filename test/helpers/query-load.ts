/**
 * A bounded load of node-postgres clients that each run one statement after another (with a pause)
 * and record every outcome with its times, for tests that take servers away under traffic.
 * @module
 */
import { Client } from 'pg'

/** What one statement of one load client came to. */
export interface Outcome {
  client: number
  seq: number
  ok: boolean
  /** ms since the load started: when the statement was sent (or the reconnect began) and answered. */
  sentAt: number
  doneAt: number
  /** First row of a success. */
  row?: Record<string, unknown>
  /** Of a failure: the SQLSTATE, or undefined when the connection just ended. */
  code?: string
  message?: string
  /** The failure was the connect (a new connection after the last one broke). */
  connect?: boolean
}

/** Options of {@link QueryLoad}. */
export interface QueryLoadOptions {
  url: string
  clients: number
  /** Statement of a client's `seq`-th iteration (its number and parameters). */
  statement: (client: number, seq: number) => { text: string; values?: unknown[] }
  /** Pause after each statement, keeping the load bounded (default 20 ms). */
  pauseMs?: number
  /** A statement unanswered this long fails (and its connection is dropped); default 5000 ms. */
  queryTimeoutMs?: number
}

interface Connection {
  client: Client
  broken: boolean
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Starts at construction; `stop()` ends it and returns every outcome. */
export class QueryLoad {
  readonly outcomes: Outcome[] = []
  private readonly t0 = Date.now()
  private stopped = false
  private readonly runs: Promise<void>[]

  constructor(private readonly opts: QueryLoadOptions) {
    this.runs = Array.from({ length: opts.clients }, (_, i) => this.run(i))
  }

  /** ms since the load started (the clock of every {@link Outcome}). */
  now(): number {
    return Date.now() - this.t0
  }

  /** Failures so far. */
  errors(): Outcome[] {
    return this.outcomes.filter((o) => !o.ok)
  }

  /** Successes so far. */
  successes(): Outcome[] {
    return this.outcomes.filter((o) => o.ok)
  }

  /** Lets every client finish its statement, closes the connections, returns all outcomes. */
  async stop(): Promise<Outcome[]> {
    this.stopped = true
    await Promise.all(this.runs)
    return this.outcomes
  }

  private async run(id: number): Promise<void> {
    let conn: Connection | undefined
    for (let seq = 0; !this.stopped; seq++) {
      const sentAt = this.now()
      const connecting = conn === undefined
      try {
        conn ??= await this.connect()
        const result = await conn.client.query(this.opts.statement(id, seq))
        const row = result.rows[0] ?? {}
        this.outcomes.push({ client: id, seq, ok: true, sentAt, doneAt: this.now(), row })
      } catch (err) {
        const { code, message, severity } = err as { code?: string; message?: string; severity?: string }
        const failure = {
          client: id,
          seq,
          ok: false,
          sentAt,
          doneAt: this.now(),
          code,
          message: message ?? String(err),
        }
        this.outcomes.push(connecting ? { ...failure, connect: true } : failure)
        if (conn && (conn.broken || severity === 'FATAL' || code === undefined)) {
          void conn.client.end().catch(() => {})
          conn = undefined
        }
      }
      await sleep(this.opts.pauseMs ?? 20)
    }
    await conn?.client.end().catch(() => {})
  }

  private async connect(): Promise<Connection> {
    const timeout = this.opts.queryTimeoutMs ?? 5000
    const client = new Client({
      connectionString: this.opts.url,
      query_timeout: timeout,
      connectionTimeoutMillis: timeout,
    })
    const conn: Connection = { client, broken: false }
    client.on('error', () => {
      conn.broken = true
    })
    client.on('end', () => {
      conn.broken = true
    })
    try {
      await client.connect()
    } catch (err) {
      void client.end().catch(() => {})
      throw err
    }
    return conn
  }
}
