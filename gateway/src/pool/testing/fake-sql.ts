/**
 * The SQL a fake server understands: one statement in, one {@link Outcome} out, with the session
 * state a pooler must get right (transaction status, reported parameters). Deliberately tiny and
 * literal: `select <n>` returns n, text containing `error` fails, BEGIN/COMMIT/ROLLBACK move the
 * transaction status, SET and RESET change reported parameters, LISTEN and UNLISTEN change the
 * channels listened on (see FakeServer.notify), the health check's `pg_is_in_recovery()` answers `f`
 * (a primary; a test's handler makes a standby); anything else succeeds with a tag.
 * @module
 */
import { TxnStatus } from '../../protocol/codes.js'
import { type Column, TypeOid } from './backend-messages.js'
import {
  command,
  type HandlerContext,
  type Outcome,
  type QueryHandler,
  rows,
  sqlError,
} from './fake-outcome.js'

const EMPTY: Outcome = { kind: 'empty' }
const ENDS_TRANSACTION = /^(commit|end|rollback|abort)\b/i
const SET = /^set\s+(?:session\s+|local\s+)?([a-z_][\w.]*)\s*(?:=|\s+to\s+)\s*(.+?)\s*$/i
const SELECT_NUMBER = /^select\s+(-?\d+)(?:\s+as\s+(\w+))?\s*$/i
const PROBE = 'select name, setting from pg_catalog.pg_settings'
/** The gateway's health check (pool/health-check.ts). */
const RECOVERY = 'select pg_catalog.pg_is_in_recovery()'
const SET_CONFIG = 'select pg_catalog.set_config('
const SET_CONFIG_CALL = /pg_catalog\.set_config\(('(?:[^']|'')*'), ('(?:[^']|'')*'|NULL), false\)/g
/** LISTEN or UNLISTEN of one name, quoted (`""` for `"`) or not; `UNLISTEN *`. */
const LISTEN = /^(listen|unlisten)\s+("(?:[^"]|"")+"|[a-z_][\w$]*|\*)$/i

/** Tags of commands that return no rows, by their first words (the first prefix that matches wins). */
const TAGS: Array<[string, string]> = [
  ['insert', 'INSERT 0 1'],
  ['update', 'UPDATE 1'],
  ['delete', 'DELETE 1'],
  ['create temp', 'CREATE TABLE'],
  ['create table', 'CREATE TABLE'],
  ['drop table', 'DROP TABLE'],
  ['discard all', 'DISCARD ALL'],
  ['discard temp', 'DISCARD TEMP'],
  ['deallocate all', 'DEALLOCATE ALL'],
  ['close all', 'CLOSE CURSOR ALL'],
  ['close', 'CLOSE CURSOR'],
  ['declare', 'DECLARE CURSOR'],
]

/** One fake backend's SQL session. */
export class FakeSql implements HandlerContext {
  /** Transaction status as ReadyForQuery reports it. */
  status: number = TxnStatus.Idle
  /** Set once a FATAL error was answered: the server must close the connection now. */
  fatal = false
  /** Parameters the server reports (ParameterStatus), by their canonical names. */
  readonly params: Map<string, string>
  /** Values at login: what RESET goes back to. */
  private readonly initial: Map<string, string>
  /** Other settings a SET changed (not reported). */
  private readonly settings = new Map<string, string>()
  /** Reported parameters changed since the last ReadyForQuery. */
  private changed = new Map<string, string>()
  /** Temp tables made (and not dropped): the session state the gateway's probe asks about. */
  tempTables = 0
  /** Channels LISTENed on (as Postgres names them: unquoted ones folded to lower case). */
  readonly listening = new Set<string>()

  constructor(
    params: ReadonlyMap<string, string>,
    readonly processId: number,
    /** The test's handler for a statement, if one matches it. */
    private readonly handlerFor: (sql: string) => QueryHandler | undefined = () => undefined,
  ) {
    this.params = new Map(params)
    this.initial = new Map(params)
  }

  /** Runs one statement: a test's handler first, else the built-in model; errors fail a transaction. */
  run(sql: string): Outcome {
    const text = sql.trim()
    if (text === '') return EMPTY
    if (this.status === TxnStatus.Failed && !ENDS_TRANSACTION.test(text)) return this.fail(abortedError())
    const outcome = this.handlerFor(text)?.(text, this) ?? this.builtIn(text)
    return outcome.kind === 'error' ? this.fail(outcome) : outcome
  }

  /**
   * The error a Parse of `sql` gets, if any: Postgres parses at Parse, so a syntax error (text holding
   * `error`, unless a handler answers the text) and a failed transaction are reported there.
   */
  parseError(sql: string): Outcome | undefined {
    const text = sql.trim()
    if (this.status === TxnStatus.Failed && !ENDS_TRANSACTION.test(text)) return this.fail(abortedError())
    if (this.handlerFor(text) !== undefined || !text.toLowerCase().includes('error')) return undefined
    return this.fail(sqlError('42601', 'syntax error at or near "error"'))
  }

  /** An error ends nothing but the transaction it happens in: that one fails (status 'E'). */
  fail(error: Outcome): Outcome {
    if (this.status === TxnStatus.InTransaction) this.status = TxnStatus.Failed
    if (error.kind === 'error' && error.severity === 'FATAL') this.fatal = true
    return error
  }

  /** The error a message gets in a failed transaction, if the transaction failed. */
  abortedError(): Outcome | undefined {
    return this.status === TxnStatus.Failed ? abortedError() : undefined
  }

  /** The result columns `sql` would return, without running it (for Describe); undefined: no rows. */
  describe(sql: string): Column[] | undefined {
    const text = sql.trim()
    const outcome = this.handlerFor(text)?.(text, this) ?? selectOutcome(text, this)
    return outcome?.kind === 'rows' ? outcome.columns : undefined
  }

  /** ParameterStatus to send before the coming ReadyForQuery, as Postgres 14+ does; then forgotten. */
  takeChanged(): Array<[string, string]> {
    const out = [...this.changed]
    this.changed = new Map()
    return out
  }

  private builtIn(text: string): Outcome {
    const lower = text.toLowerCase()
    if (/^(begin|start\s+transaction)\b/.test(lower)) {
      if (this.status === TxnStatus.Idle) this.status = TxnStatus.InTransaction
      return command('BEGIN')
    }
    if (ENDS_TRANSACTION.test(lower)) {
      const committed = /^(commit|end)\b/.test(lower) && this.status === TxnStatus.InTransaction
      this.status = TxnStatus.Idle
      return command(committed ? 'COMMIT' : 'ROLLBACK')
    }
    if (lower.startsWith(PROBE)) return this.probe()
    if (lower.startsWith(SET_CONFIG)) return this.setConfig(text)
    if (lower.includes('error')) return sqlError('42601', 'syntax error at or near "error"')
    if (lower.startsWith('create temp')) this.tempTables++
    else if (lower.startsWith('drop table') && this.tempTables > 0) this.tempTables--
    else if (lower === 'discard temp' || lower === 'discard all') this.tempTables = 0
    if (lower.startsWith('set ')) return this.set(text)
    const listen = LISTEN.exec(text)
    if (listen !== null) return this.listen(listen[1]!.toLowerCase() === 'listen', listen[2]!)
    if (lower === 'reset all' || lower === 'discard all') this.resetAll()
    else if (lower.startsWith('reset ')) this.reset(text.slice(6).trim())
    if (lower.startsWith('reset')) return command('RESET')
    const select = selectOutcome(text, this)
    if (select !== undefined) return select
    const tag = TAGS.find(([prefix]) => lower.startsWith(prefix))?.[1]
    return command(tag ?? lower.split(/\s+/, 1)[0]!.toUpperCase())
  }

  /** The gateway's session probe (pool/session-probe.ts): session-level values, then the state bits. */
  private probe(): Outcome {
    const found: Array<[string | null, string]> = [...this.settings]
    for (const [name, value] of this.params)
      if (this.initial.get(name) !== value) found.push([name.toLowerCase(), value])
    found.push([null, String((this.tempTables > 0 ? 1 : 0) + (this.listening.size > 0 ? 16 : 0))])
    return rows(['name', 'setting'], found)
  }

  /** The gateway's `SELECT pg_catalog.set_config('name', 'value' | NULL, false), ...`. */
  private setConfig(text: string): Outcome {
    const values: string[] = []
    for (const m of text.matchAll(SET_CONFIG_CALL)) {
      const name = unquote(m[1]!)
      if (m[2] === 'NULL') this.reset(name)
      else this.assign(name, unquote(m[2]!))
      values.push(this.setting(name) ?? '')
    }
    return rows(
      values.map(() => 'set_config'),
      [values],
    )
  }

  private listen(on: boolean, name: string): Outcome {
    const channel = name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name.toLowerCase()
    if (on) this.listening.add(channel)
    else if (channel === '*') this.listening.clear()
    else this.listening.delete(channel)
    return command(on ? 'LISTEN' : 'UNLISTEN')
  }

  private set(text: string): Outcome {
    const m = SET.exec(text)
    if (m !== null) this.assign(m[1]!, unquote(m[2]!))
    return command('SET') // SET SESSION AUTHORIZATION DEFAULT and friends: accepted, nothing to track
  }

  private assign(name: string, value: string): void {
    const canonical = [...this.params.keys()].find((k) => k.toLowerCase() === name.toLowerCase())
    if (canonical === undefined) return void this.settings.set(name.toLowerCase(), value)
    const next = value.toLowerCase() === 'default' ? (this.initial.get(canonical) ?? '') : value
    if (this.params.get(canonical) === next) return
    this.params.set(canonical, next)
    this.changed.set(canonical, next)
  }

  private resetAll(): void {
    this.settings.clear()
    for (const name of this.initial.keys()) this.reset(name)
  }

  private reset(name: string): void {
    this.settings.delete(name.toLowerCase())
    this.assign(name, 'default')
  }

  /** SHOW's value of a parameter or setting. */
  setting(name: string): string | undefined {
    const canonical = [...this.params.keys()].find((k) => k.toLowerCase() === name.toLowerCase())
    return canonical !== undefined ? this.params.get(canonical) : this.settings.get(name.toLowerCase())
  }
}

/** Rows for SELECT and SHOW, built without changing any state. */
function selectOutcome(text: string, sql: FakeSql): Outcome | undefined {
  const lower = text.toLowerCase()
  if (lower === RECOVERY) return rows([{ name: 'pg_is_in_recovery', type: TypeOid.bool }], [['f']])
  if (lower === 'select pg_backend_pid()')
    return rows([{ name: 'pg_backend_pid', type: TypeOid.int4 }], [[String(sql.processId)]])
  const n = SELECT_NUMBER.exec(text)
  if (n !== null) return rows([{ name: n[2] ?? '?column?', type: TypeOid.int4 }], [[n[1]!]])
  if (lower.startsWith('show ')) {
    const name = text.slice(5).trim()
    return rows([name], [[sql.setting(name) ?? null]], 'SHOW')
  }
  if (lower.startsWith('select ')) return rows(['?column?'], [[text.slice(7).trim()]])
  return undefined
}

/** Postgres's answer to anything but the end of a failed transaction. */
function abortedError(): Outcome {
  return sqlError('25P02', 'current transaction is aborted, commands ignored until end of transaction block')
}

/** A SET value without its quotes: 'UTC' → UTC, 'it''s' → it's. */
function unquote(value: string): string {
  const m = /^'(.*)'$/s.exec(value)
  return m !== null ? m[1]!.replaceAll("''", "'") : value
}

/** Splits a Query's text at semicolons outside quotes ('…' and "…"); empty statements are dropped. */
export function splitStatements(text: string): string[] {
  const out: string[] = []
  let current = ''
  let quote = ''
  for (const ch of text) {
    if (quote === '' && (ch === "'" || ch === '"')) quote = ch
    else if (ch === quote) quote = ''
    if (ch === ';' && quote === '') {
      out.push(current)
      current = ''
    } else current += ch
  }
  out.push(current)
  return out.map((s) => s.trim()).filter((s) => s !== '')
}
