/**
 * The extended protocol on the admin console: Parse names a command, Bind makes a portal of it,
 * Describe answers the command's columns (RowDescription, or NoData for a command without rows),
 * Execute runs it, Close forgets. Commands take no parameters: a Bind with values, or asking for
 * binary results, is refused with 0A000. After an error every message up to Sync is skipped, as
 * Postgres does. Portals end at Sync.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 * @module
 */
import {
  serializeBindComplete,
  serializeCloseComplete,
  serializeNoData,
  serializeParameterDescription,
  serializeParseComplete,
} from '../protocol/backend.js'
import { FrontendCode } from '../protocol/codes.js'
import { MessageReader } from '../protocol/reader.js'
import { SqlState } from '../protocol/sqlstate.js'
import { type ParsedCommand, parseAdminCommand } from './admin-commands.js'
import { type AdminResult, adminError, resultBytes, rowDescription } from './admin-results.js'
import type { AdminSources } from './admin-sources.js'

const EMPTY = Buffer.alloc(0)
const NO_PARAMETERS = serializeParameterDescription([])
/** Postgres's SQLSTATEs for a statement or portal that does not exist. */
const INVALID_STATEMENT = '26000'
const INVALID_CURSOR = '34000'
const TARGET_STATEMENT = 0x53 // 'S'

/** Named statements and portals of one admin client. */
export class AdminExtended {
  private readonly statements = new Map<string, ParsedCommand>()
  private readonly portals = new Map<string, ParsedCommand>()
  /** An error happened: skip until Sync. */
  private skipping = false

  constructor(private readonly sources: AdminSources) {}

  /** Sync or a simple Query: the error skip ends, portals close. */
  sync(): void {
    this.skipping = false
    this.portals.clear()
  }

  /** An error was sent: skip to Sync. */
  failed(): void {
    this.skipping = true
  }

  /** The reply to Parse, Bind, Describe, Close (or an error for a message the console does not take). */
  message(code: number, buf: Buffer, start: number, end: number): Buffer {
    if (this.skipping) return EMPTY
    const r = new MessageReader(buf, start + 5, end)
    switch (code) {
      case FrontendCode.Parse:
        return this.parse(r)
      case FrontendCode.Bind:
        return this.bind(r)
      case FrontendCode.Describe:
        return this.describe(r)
      case FrontendCode.Close: {
        const statement = r.byte() === TARGET_STATEMENT
        ;(statement ? this.statements : this.portals).delete(r.cstring())
        return serializeCloseComplete()
      }
      default:
        return this.error(SqlState.FeatureNotSupported, 'the admin console takes only queries', undefined)
    }
  }

  /** Execute: the portal's command to run, or the bytes to send instead (nothing while skipping, an error). */
  execute(buf: Buffer, start: number, end: number): Buffer | AdminResult | Promise<AdminResult> {
    if (this.skipping) return EMPTY
    const name = new MessageReader(buf, start + 5, end).cstring()
    const portal = this.portals.get(name)
    if (portal === undefined) return this.error(INVALID_CURSOR, `portal "${name}" does not exist`, undefined)
    // Every admin result is small: max_rows is not honoured, the whole result comes at once.
    return portal.command.run(this.sources, portal.args)
  }

  private parse(r: MessageReader): Buffer {
    const name = r.cstring()
    const parsed = parseAdminCommand(r.cstring())
    if (!('command' in parsed)) {
      this.skipping = true
      return resultBytes(parsed, false)
    }
    if (r.int16() > 0) return this.noParameters()
    this.statements.set(name, parsed)
    return serializeParseComplete()
  }

  private bind(r: MessageReader): Buffer {
    const portal = r.cstring()
    const name = r.cstring()
    const statement = this.statements.get(name)
    if (statement === undefined)
      return this.error(INVALID_STATEMENT, `prepared statement "${name}" does not exist`)
    for (let n = r.int16(); n > 0; n--) r.int16() // parameter formats: there are no parameters
    if (r.int16() > 0) return this.noParameters()
    for (let n = r.int16(); n > 0; n--)
      if (r.int16() !== 0)
        return this.error(SqlState.FeatureNotSupported, 'the admin console sends its results as text only')
    this.portals.set(portal, statement)
    return serializeBindComplete()
  }

  private describe(r: MessageReader): Buffer {
    const statement = r.byte() === TARGET_STATEMENT
    const name = r.cstring()
    const found = (statement ? this.statements : this.portals).get(name)
    if (found === undefined)
      return statement
        ? this.error(INVALID_STATEMENT, `prepared statement "${name}" does not exist`)
        : this.error(INVALID_CURSOR, `portal "${name}" does not exist`)
    const columns = found.command.columns
    const shape = columns === undefined ? serializeNoData() : rowDescription(columns)
    return statement ? Buffer.concat([NO_PARAMETERS, shape]) : shape
  }

  private noParameters(): Buffer {
    return this.error(
      SqlState.FeatureNotSupported,
      'the admin console commands take no parameters',
      'see SHOW HELP',
    )
  }

  private error(code: string, message: string, hint?: string): Buffer {
    this.skipping = true
    return adminError(code, message, hint)
  }
}
