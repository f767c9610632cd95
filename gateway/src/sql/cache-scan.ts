/**
 * One pass over a request's tokens for the edge read cache (issue 22): which tables its statements
 * write, whether it calls a volatile or time-dependent function (volatile-functions.ts), and whether
 * some write's targets could not be read (then a cache must drop everything).
 *
 * A written table is the name after `INSERT INTO`, `UPDATE [ONLY]`, `DELETE FROM [ONLY]`,
 * `MERGE INTO`, `TRUNCATE [TABLE] [ONLY] a, b`, `COPY t … FROM`, `SELECT … INTO t`, and
 * `CREATE | ALTER | DROP [TEMP | UNLOGGED | FOREIGN] TABLE [IF [NOT] EXISTS] t[, u]`. INSERT, UPDATE,
 * DELETE and MERGE count where a statement starts, after `EXPLAIN [ANALYZE] [VERBOSE]`, and right after
 * `(` or `)` (a data-modifying WITH query, or the statement after a WITH list), never after another
 * word (`FOR UPDATE`, `ON DELETE CASCADE`, `DO UPDATE`).
 * A statement writes no table when it starts with a word of {@link NO_TABLE_WRITES}
 * (SELECT, transaction control, SET, LISTEN, …) and none of those forms is in it; any other statement
 * with no target found (CREATE INDEX, CALL, DO, EXECUTE, GRANT, REFRESH MATERIALIZED VIEW, …) leaves
 * the writes unknown.
 *
 * A called function is a word (or quoted name) right before `(` that is not a keyword of
 * {@link NOT_FUNCTIONS}: the names the relation catalog is asked about (a user-defined function that
 * is not immutable makes a read uncachable). Type modifiers (`numeric(10, 2)`) and column lists
 * (`with x(a) as`) count too; the catalog knows no unsafe function of such a name, so they cost a
 * lookup and change nothing.
 * @module
 */
import { Ch } from './char-class.js'
import { decodeUtf8, namePart, readQualifiedName, wordText } from './identifier.js'
import { SqlLexer, Token } from './lexer.js'
import { NOT_COL_ID } from './reserved-keywords.js'
import { TIME_LITERALS, VALUE_FUNCTIONS, VOLATILE_FUNCTIONS } from './volatile-functions.js'

/** First words of statements that write no table unless a form above is in them. */
export const NO_TABLE_WRITES: ReadonlySet<string> = new Set([
  ...['select', 'values', 'table', 'with', 'explain', 'copy', 'show', 'set', 'reset', 'begin', 'start'],
  ...['commit', 'end', 'rollback', 'abort', 'savepoint', 'release', 'listen', 'unlisten', 'notify'],
  ...['lock', 'fetch', 'declare', 'close', 'move', 'deallocate', 'discard', 'prepare'],
])

/** Words before `(` that call no function (reserved keywords, and grammar words that take `(`). */
export const NOT_FUNCTIONS: ReadonlySet<string> = new Set([
  ...NOT_COL_ID,
  ...['exists', 'values', 'over', 'filter', 'within', 'row', 'rows', 'range', 'groups', 'partition'],
  ...['coalesce', 'nullif', 'greatest', 'least', 'extract', 'position', 'substring', 'trim', 'overlay'],
  ...['grouping', 'by', 'set', 'update', 'insert', 'delete', 'conflict', 'key', 'materialized'],
])

/** What the next name would be. */
type Expect = 'none' | 'into' | 'from' | 'target' | 'list' | 'listComma' | 'copy' | 'copyDir' | 'ddl'

/** Words read past while a name is expected. */
const MODIFIERS = new Set(['only', 'table', 'if', 'not', 'exists'])
/** Words read past between CREATE / ALTER / DROP and TABLE. */
const DDL_MODIFIERS = new Set([
  'temp',
  'temporary',
  'unlogged',
  'global',
  'local',
  'foreign',
  'or',
  'replace',
])
/** Words that keep the next one at the statement's start. */
const EXPLAIN_WORDS = new Set(['explain', 'analyze', 'analyse', 'verbose'])

/** What a scan found. */
export interface CacheScanResult {
  /** Tables written, as written (unquoted parts lower-cased), each once. */
  readonly writes: readonly string[]
  /** Some statement may write tables this scan cannot name. */
  readonly writesUnknown: boolean
  /** Calls a function or uses a literal of volatile-functions.ts. */
  readonly volatile: boolean
  /** Names of other functions it calls (unqualified; unquoted ones lower-cased), each once. */
  readonly functions: readonly string[]
}

/** The scanner; reused across calls (synchronous, keeps nothing between them). */
export class CacheScan {
  private readonly lx = new SqlLexer()
  private expect: Expect = 'none'
  private depth = 0
  private first = ''
  private atStart = true
  private lastWord = ''
  private copyTable = ''
  private found = 0
  private writes = new Set<string>()
  private unknown = false
  private volatile = false
  private functions = new Set<string>()

  /** Scans the UTF-8 SQL text `buf[start, end)`. */
  run(buf: Uint8Array, start: number, end: number, standardStrings = true): CacheScanResult {
    this.lx.reset(buf, start, end, standardStrings)
    this.writes = new Set()
    this.functions = new Set()
    this.unknown = this.volatile = false
    this.depth = 0
    this.newStatement()
    for (let t = this.lx.next(); t !== Token.End; t = this.lx.next()) this.token(t)
    this.endStatement()
    return {
      writes: [...this.writes],
      writesUnknown: this.unknown,
      volatile: this.volatile,
      functions: [...this.functions],
    }
  }

  private newStatement(): void {
    this.expect = 'none'
    this.first = ''
    this.atStart = true
    this.lastWord = ''
    this.found = 0
  }

  private endStatement(): void {
    if (this.first !== '' && this.found === 0 && !NO_TABLE_WRITES.has(this.first)) this.unknown = true
    this.newStatement()
  }

  private token(t: Token): void {
    if (t === Token.Comment) return
    if (t === Token.Word || t === Token.QuotedIdent) return this.word(t)
    const wasWord = this.lastWord
    this.lastWord = ''
    if (t === Token.Punct) return this.punct(this.lx.byte, wasWord)
    if (t === Token.String && this.isTimeLiteral()) this.volatile = true
    this.atStart = false
    if (this.expect !== 'copyDir') this.expect = 'none'
  }

  private punct(b: number, wasWord: string): void {
    if (b === Ch.Semicolon && this.depth === 0) return this.endStatement()
    if (b === Ch.LParen) {
      if (VOLATILE_FUNCTIONS.has(wasWord)) this.volatile = true
      else if (wasWord !== '' && !NOT_FUNCTIONS.has(wasWord)) this.functions.add(wasWord)
      this.depth++
    } else if (b === Ch.RParen && this.depth > 0) this.depth--
    this.atStart = b === Ch.LParen || b === Ch.RParen
    const e = this.expect
    if (b === Ch.Comma && e === 'listComma') this.expect = 'list'
    else if (e !== 'copyDir' && (e !== 'listComma' || b === Ch.LParen)) this.expect = 'none'
  }

  private word(t: Token): void {
    const { lx } = this
    const w = t === Token.Word ? wordText(lx.buf, lx.start, lx.pos) : ''
    const e = this.expect
    if ((e === 'target' || e === 'list' || e === 'copy') && !(t === Token.Word && MODIFIERS.has(w))) {
      return this.target(t, e)
    }
    this.lastWord = t === Token.Word ? w : namePart(lx, t)
    if (t === Token.Word && VALUE_FUNCTIONS.has(w)) this.volatile = true
    if (t === Token.QuotedIdent) return
    if (e === 'ddl') {
      this.expect = w === 'table' ? 'list' : DDL_MODIFIERS.has(w) ? 'ddl' : 'none'
      return
    }
    if (MODIFIERS.has(w)) return
    if (e === 'copyDir') {
      if (this.depth === 0 && (w === 'from' || w === 'to')) this.copyDirection(w)
    } else if (this.atStart) this.statementWord(w)
    else if (e === 'into' && w === 'into') this.expect = 'target'
    else if (e === 'from' && w === 'from') this.expect = 'target'
    else if (w === 'into' && this.first === 'select' && this.depth === 0) this.expect = 'target'
  }

  /** A word where a statement (or a data-modifying WITH query) may start. */
  private statementWord(w: string): void {
    const first = this.first === ''
    if (first) this.first = w
    this.atStart = EXPLAIN_WORDS.has(w) && (first || EXPLAIN_WORDS.has(this.first))
    if (w === 'insert' || w === 'merge') this.expect = 'into'
    else if (w === 'update') this.expect = 'target'
    else if (w === 'delete') this.expect = 'from'
    else if (first && w === 'truncate') this.expect = 'list'
    else if (first && w === 'copy') this.expect = 'copy'
    else if (first && (w === 'create' || w === 'alter' || w === 'drop')) this.expect = 'ddl'
  }

  /** A name where a target stands. */
  private target(t: Token, e: Expect): void {
    const name = readQualifiedName(this.lx, t)
    this.atStart = false
    this.lastWord = ''
    if (e === 'copy') {
      this.copyTable = name
      this.expect = 'copyDir'
      return
    }
    this.add(name)
    this.expect = e === 'list' ? 'listComma' : 'none'
  }

  private copyDirection(w: string): void {
    if (w === 'from') this.add(this.copyTable)
    else this.found++ // COPY t TO: a read, no write to find
    this.expect = 'none'
  }

  private add(name: string): void {
    this.writes.add(name)
    this.found++
  }

  /** A plain `'…'` literal reading `now`, `today`, `tomorrow` or `yesterday` (any case, spaces around). */
  private isTimeLiteral(): boolean {
    const { lx } = this
    if (lx.buf[lx.start] !== 0x27 /* ' */ || lx.pos - lx.start > 16) return false
    return TIME_LITERALS.has(
      decodeUtf8(lx.buf, lx.start + 1, lx.pos - 1)
        .trim()
        .toLowerCase(),
    )
  }
}
