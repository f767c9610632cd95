/**
 * The extended query protocol of a fake server: named and unnamed statements and portals, Describe,
 * Execute (all rows at once: row limits are not modelled), Close, and Postgres's rule that after an
 * error every message up to the next Sync is read and discarded.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 * @module
 */
import { FrontendCode, TxnStatus } from '../../protocol/codes.js'
import { MessageReader } from '../../protocol/reader.js'
import {
  bindComplete,
  closeComplete,
  noData,
  parameterDescription,
  parseComplete,
  rowDescription,
  TypeOid,
} from './backend-messages.js'
import { type Outcome, renderOutcome, sqlError } from './fake-outcome.js'
import type { FakeSql } from './fake-sql.js'

/** A prepared statement: its text and the parameter types the Parse declared (0: unspecified). */
interface Statement {
  sql: string
  types: number[]
}

const TARGET_STATEMENT = 0x53 // 'S'

/** Statements, portals and the skip-to-Sync state of one fake backend. */
export class FakeExtended {
  readonly statements = new Map<string, Statement>()
  /** Portal name → the statement text with its parameters substituted. */
  readonly portals = new Map<string, string>()
  /** An error happened: every message up to the next Sync is discarded. */
  skipping = false

  constructor(private readonly sql: FakeSql) {}

  /** Answers Parse, Bind, Describe, Execute or Close `buf[start, end)`; nothing while skipping. */
  handle(code: number, buf: Buffer, start: number, end: number): Buffer[] {
    if (this.skipping) return []
    const r = new MessageReader(buf, start + 5, end)
    const replies = this.dispatch(code, r)
    // An ErrorResponse is always the last reply: from here Postgres waits for a Sync.
    if (replies.at(-1)?.[0] === 0x45) this.skipping = true
    return replies
  }

  /** Sync: the skipping ends; portals live until their transaction ends (an implicit one ends here). */
  sync(): void {
    this.skipping = false
    if (this.sql.status === TxnStatus.Idle) this.portals.clear()
  }

  /** A DISCARD ALL or DEALLOCATE ALL ran. */
  forgetStatements(): void {
    this.statements.clear()
  }

  private dispatch(code: number, r: MessageReader): Buffer[] {
    switch (code) {
      case FrontendCode.Parse:
        return this.parse(r.cstring(), r.cstring(), readTypes(r))
      case FrontendCode.Bind:
        return this.bind(r)
      case FrontendCode.Describe:
        return this.describe(r.byte(), r.cstring())
      case FrontendCode.Execute:
        return this.execute(r.cstring())
      case FrontendCode.Close:
        if (r.byte() === TARGET_STATEMENT) this.statements.delete(r.cstring())
        else this.portals.delete(r.cstring())
        return [closeComplete()]
      default:
        return []
    }
  }

  private parse(name: string, sql: string, types: number[]): Buffer[] {
    if (name !== '' && this.statements.has(name))
      return this.error(sqlError('42P05', `prepared statement "${name}" already exists`))
    const failed = this.sql.parseError(sql)
    if (failed !== undefined) return renderOutcome(failed, false)
    this.statements.set(name, { sql, types })
    return [parseComplete()]
  }

  private bind(r: MessageReader): Buffer[] {
    const portal = r.cstring()
    const name = r.cstring()
    const aborted = this.sql.abortedError()
    if (aborted !== undefined) return renderOutcome(aborted, false)
    const statement = this.statements.get(name)
    if (statement === undefined) return this.error(missingStatement(name))
    if (portal !== '' && this.portals.has(portal))
      return this.error(sqlError('42P03', `cursor "${portal}" already exists`))
    const formats = r.int16()
    r.bytes(2 * formats)
    const values: Array<string | null> = []
    for (let n = r.int16(); n > 0; n--) {
      const length = r.int32()
      values.push(length < 0 ? null : r.bytes(length).toString('utf8'))
    }
    // Parameters are pasted into the text as literals: `select $1` bound to 5 runs as `select 5`.
    const sql = statement.sql.replace(/\$(\d+)/g, (_, i: string) => values[Number(i) - 1] ?? 'null')
    this.portals.set(portal, sql)
    return [bindComplete()]
  }

  private describe(type: number, name: string): Buffer[] {
    if (type === TARGET_STATEMENT) {
      const statement = this.statements.get(name)
      if (statement === undefined) return this.error(missingStatement(name))
      const types = paramTypes(statement)
      return [parameterDescription(types), this.columns(statement.sql)]
    }
    const portal = this.portals.get(name)
    if (portal === undefined) return this.error(missingPortal(name))
    return [this.columns(portal)]
  }

  private columns(sql: string): Buffer {
    const columns = this.sql.describe(sql)
    return columns === undefined ? noData() : rowDescription(columns)
  }

  private execute(portal: string): Buffer[] {
    const sql = this.portals.get(portal)
    if (sql === undefined) return this.error(missingPortal(portal))
    return renderOutcome(this.sql.run(sql), false)
  }

  private error(outcome: Outcome): Buffer[] {
    return renderOutcome(this.sql.fail(outcome), false)
  }
}

function readTypes(r: MessageReader): number[] {
  const types: number[] = []
  for (let n = r.int16(); n > 0; n--) types.push(r.int32())
  return types
}

/** One type per `$n` the text uses: the declared one, else text (the fake infers nothing). */
function paramTypes(statement: Statement): number[] {
  let count = statement.types.length
  for (const m of statement.sql.matchAll(/\$(\d+)/g)) count = Math.max(count, Number(m[1]))
  return Array.from({ length: count }, (_, i) => statement.types[i] || TypeOid.text)
}

function missingStatement(name: string): Outcome {
  const what = name === '' ? 'unnamed prepared statement' : `prepared statement "${name}"`
  return sqlError('26000', `${what} does not exist`)
}

function missingPortal(name: string): Outcome {
  return sqlError('34000', `portal "${name}" does not exist`)
}
