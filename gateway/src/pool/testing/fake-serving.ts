/**
 * A fake backend after login: each frontend message in, its replies out. Simple Queries run statement
 * by statement until the first error; the extended protocol lives in fake-extended.ts; every Sync and
 * Query ends with the changed parameters and a ReadyForQuery carrying the transaction status.
 * @module
 */
import { serializeParameterStatus, serializeReadyForQuery } from '../../protocol/backend.js'
import { FakeExtended } from './fake-extended.js'
import { type Outcome, type QueryHandler, renderOutcome, sqlError } from './fake-outcome.js'
import { FakeSql, splitStatements } from './fake-sql.js'
import type { ReceivedMessage } from './received-message.js'

/** Where a serving backend's replies go, and the crash hook of its connection. */
export interface ServingOutput {
  write(bytes: Buffer): void
  close(): void
  /**
   * Dies in the middle of the reply to `sql` if the test armed that; true when it did.
   * `withDescription`: a simple Query's reply starts with a RowDescription, an Execute's does not.
   */
  crashOn(sql: string, withDescription: boolean): boolean
}

/** The query phase of one fake backend. */
export class FakeServing {
  readonly sql: FakeSql
  readonly extended: FakeExtended

  constructor(
    params: ReadonlyMap<string, string>,
    processId: number,
    handlerFor: (sql: string) => QueryHandler | undefined,
    private readonly out: ServingOutput,
  ) {
    this.sql = new FakeSql(params, processId, handlerFor)
    this.extended = new FakeExtended(this.sql)
  }

  /** Answers one message (`buf[start, end)`, recorded as `message`). */
  serve(message: ReceivedMessage, buf: Buffer, start: number, end: number): void {
    const x = this.extended
    if (message.type === 'Terminate') return this.out.close()
    // After an error in the extended protocol Postgres reads and discards everything up to a Sync,
    // a Query or a FunctionCall included.
    if (x.skipping && message.type !== 'Sync') return
    if (message.type === 'Query') return this.query(message.sql!)
    if (message.type === 'Sync') {
      x.sync()
      return this.ready()
    }
    if (message.type === 'FunctionCall') {
      this.reply(this.sql.fail(sqlError('0A000', 'the fake server does not run function calls')))
      return this.ready()
    }
    if (message.type === 'Execute') {
      const portal = x.portals.get(message.name!)
      if (portal !== undefined && this.out.crashOn(portal, false)) return
    }
    for (const reply of x.handle(buf[start]!, buf, start, end)) this.out.write(reply)
    if (this.sql.fatal) this.out.close()
  }

  /** A simple Query: each `;`-separated statement in turn, until the first error. */
  private query(text: string): void {
    if (this.out.crashOn(text, true)) return
    const statements = splitStatements(text)
    if (statements.length === 0) statements.push('')
    for (const statement of statements) {
      const outcome = this.sql.run(statement)
      this.reply(outcome)
      if (outcome.kind === 'command' && /^(DISCARD ALL|DEALLOCATE ALL)$/.test(outcome.tag))
        this.extended.forgetStatements()
      if (outcome.kind === 'error') break
    }
    // After a FATAL error Postgres closes the connection instead of saying it is ready.
    if (this.sql.fatal) this.out.close()
    else this.ready()
  }

  private reply(outcome: Outcome): void {
    for (const bytes of renderOutcome(outcome, true)) this.out.write(bytes)
  }

  /** ParameterStatus for what changed, then ReadyForQuery. */
  private ready(): void {
    for (const [name, value] of this.sql.takeChanged()) this.out.write(serializeParameterStatus(name, value))
    this.out.write(serializeReadyForQuery(this.sql.status))
  }
}
