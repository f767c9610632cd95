/**
 * COPY through node-postgres' Submittable hook (`client.query(submittable)`), so direct Postgres, Skiff
 * over TCP and Skiff over WebSocket (Neon's Client is a fork of node-postgres with the same hook) run
 * COPY with the same driver as every other case, without pg-copy-streams (not a dependency). postgres.js
 * was the other choice; its COPY streams drop an error that arrives after CopyDone (the query's promise
 * has already resolved with the stream), which is exactly the case the suite compares.
 * @module
 */
import type { PgLikeResult } from './normalize.js'

/** The node-postgres Connection methods a COPY needs (present in pg 8.8, Neon's fork, and 8.23). */
export interface CopyConnection {
  query(text: string): void
  sendCopyFromChunk(chunk: Buffer): void
  endCopyFrom(): void
  sendCopyFail(message: string): void
}

/**
 * One COPY statement as a Submittable. `data` is sent for COPY FROM STDIN, one CopyData message per
 * line (several messages, as real clients send them); what COPY TO STDOUT sends comes back as one
 * row `{ copy: text }`. The result's command and rowCount are read from CommandComplete (`COPY n`).
 */
export class CopyQuery {
  /** Settles at ReadyForQuery, or with the server's error. */
  readonly result: Promise<PgLikeResult>
  private readonly chunks: Buffer[] = []
  private tag = ''
  private settle!: { resolve(r: PgLikeResult): void; reject(e: unknown): void }

  constructor(
    private readonly text: string,
    private readonly data?: string,
  ) {
    this.result = new Promise((resolve, reject) => {
      this.settle = { resolve, reject }
    })
  }

  submit(connection: CopyConnection): void {
    connection.query(this.text)
  }

  handleCopyInResponse(connection: CopyConnection): void {
    if (this.data === undefined) return connection.sendCopyFail('the case gave no COPY data')
    for (const line of this.data.match(/[^\n]*\n|[^\n]+$/g) ?? [])
      connection.sendCopyFromChunk(Buffer.from(line))
    connection.endCopyFrom()
  }

  handleCopyData(message: { chunk: Buffer }): void {
    // A copy: the chunk is a view of the parser's read buffer, which the next socket read overwrites.
    this.chunks.push(Buffer.from(message.chunk))
  }

  handleCommandComplete(message: { text: string }): void {
    this.tag = message.text
  }

  handleError(err: unknown): void {
    // node-postgres forgets the active query at an error, so no ReadyForQuery reaches it afterwards.
    this.settle.reject(err)
  }

  handleReadyForQuery(): void {
    const [command = '', count] = this.tag.split(' ')
    const rows = this.chunks.length > 0 ? [{ copy: Buffer.concat(this.chunks).toString('utf8') }] : []
    this.settle.resolve({ command, rowCount: count === undefined ? null : Number(count), fields: [], rows })
  }

  // A COPY statement answers with none of these; node-postgres calls them unchecked if a server did.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}
