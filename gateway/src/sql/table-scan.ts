/**
 * The state machine behind `statementTables`: per parenthesis depth, which query keyword owns it and
 * which list a comma continues; globally, what the next name would be. See `tables.ts` for the rules.
 * @module
 */
import { Ch } from './char-class.js'
import { readQualifiedName } from './identifier.js'
import { Kw, lookupKeyword } from './keywords.js'
import { SqlLexer, Token } from './lexer.js'

/** What the next name would be. */
const Expect = { None: 0, Item: 1, Target: 2, CteName: 3 } as const
type Expect = (typeof Expect)[keyof typeof Expect]
/** What a comma at this depth continues. */
const List = { None: 0, From: 1, Tables: 2, Ctes: 3 } as const
type List = (typeof List)[keyof typeof List]

const MAX_DEPTH = 64
/** Words read past while a name is expected: `from only t`, `into temp table t`, `if not exists t`. */
const NAME_MODIFIERS = new Set<number>([
  ...[Kw.only, Kw.lateral, Kw.table, Kw.temp, Kw.temporary, Kw.unlogged, Kw.if, Kw.not, Kw.exists],
])
/** Clauses that end a FROM or USING list at their depth. */
const LIST_ENDS = new Set<number>([
  ...[Kw.where, Kw.group, Kw.having, Kw.window, Kw.order, Kw.limit, Kw.offset, Kw.fetch, Kw.for],
  ...[Kw.union, Kw.intersect, Kw.except, Kw.returning, Kw.set, Kw.then],
])

/** Scanner state for one text; reused across calls. */
export class TableScan {
  readonly lx = new SqlLexer()
  /** The query keyword (SELECT, DELETE, …) of each depth, the list a comma continues, USING seen. */
  readonly ctx = new Uint8Array(MAX_DEPTH + 1)
  readonly list = new Uint8Array(MAX_DEPTH + 1)
  readonly usingSeen = new Uint8Array(MAX_DEPTH + 1)
  depth = 0
  expect: Expect = Expect.None
  /** First keyword of the statement, the previous word's keyword, and where statements may start. */
  firstKw = 0
  prevKw = 0
  statementStart = true
  prevParen = false
  tables: string[] = []
  ctes = new Set<string>()

  run(buf: Uint8Array, start: number, end: number, standardStrings: boolean): string[] {
    this.lx.reset(buf, start, end, standardStrings)
    this.tables = []
    this.ctes = new Set()
    this.depth = 0
    this.newStatement()
    let t = this.lx.next()
    while (t !== Token.End) t = this.step(t)
    return [...new Set(this.tables)].filter((name) => !this.ctes.has(name))
  }

  private newStatement(): void {
    this.ctx[0] = 0
    this.list[0] = List.None
    this.usingSeen[0] = 0
    this.expect = Expect.None
    this.firstKw = 0
    this.statementStart = true
  }

  private get d(): number {
    return Math.min(this.depth, MAX_DEPTH)
  }

  /** Handles token `t`; returns the next token to handle. */
  private step(t: Token): Token {
    if (t === Token.Comment) return this.lx.next()
    if (t === Token.Word || t === Token.QuotedIdent) return this.word(t)
    if (t === Token.Punct) {
      this.punct(this.lx.byte)
    } else {
      this.expect = Expect.None
      this.prevParen = false
      this.statementStart = false
    }
    this.prevKw = 0
    return this.lx.next()
  }

  private punct(b: number): void {
    this.prevParen = b === Ch.LParen || b === Ch.RParen
    if (b === Ch.Semicolon && this.depth === 0) return this.newStatement()
    this.statementStart = false
    if (b === Ch.LParen) {
      this.depth++
      const d = this.d
      this.ctx[d] = 0
      this.list[d] = List.None
      this.usingSeen[d] = 0
      // `from (` opens a subquery or a parenthesized join: its first name is still a FROM item.
      if (this.expect !== Expect.Item) this.expect = Expect.None
    } else if (b === Ch.RParen) {
      if (this.depth > 0) this.depth--
      this.expect = Expect.None
    } else if (b === Ch.Comma) {
      const list = this.list[this.d] as List
      if (list === List.From) this.expect = Expect.Item
      else if (list === List.Tables) this.expect = Expect.Target
      else if (list === List.Ctes) this.expect = Expect.CteName
    }
  }

  private word(t: Token): Token {
    const { lx } = this
    const kw = t === Token.Word ? lookupKeyword(lx.buf, lx.start, lx.pos) : 0
    if (this.expect === Expect.CteName) {
      if (kw === Kw.recursive) return this.afterWord(kw)
      this.ctes.add(readQualifiedName(lx, t))
      this.expect = Expect.None
      return this.afterWord(0)
    }
    if (this.expect !== Expect.None && !this.startsQuery(kw)) {
      if (NAME_MODIFIERS.has(kw)) return this.afterWord(kw)
      if (kw === Kw.rows)
        this.expect = Expect.None // ROWS FROM ( functions )
      else return this.name(t)
    }
    this.keyword(kw)
    return this.afterWord(kw)
  }

  /** A relation name in an Item or Target position. */
  private name(t: Token): Token {
    const name = readQualifiedName(this.lx, t)
    const isItem = this.expect === Expect.Item
    this.expect = Expect.None
    this.prevKw = 0
    this.statementStart = false
    this.prevParen = false
    const next = this.lx.next()
    if (!(isItem && next === Token.Punct && this.lx.byte === Ch.LParen)) this.tables.push(name)
    return next
  }

  private startsQuery(kw: number): boolean {
    return kw === Kw.select || kw === Kw.values || kw === Kw.with
  }

  private afterWord(kw: number): Token {
    // EXPLAIN [ANALYZE] [VERBOSE] (and ANALYZE alone) keep the next word at the statement's start.
    const keepsStart = kw === Kw.explain || kw === Kw.analyze || kw === Kw.analyse || kw === Kw.verbose
    this.statementStart = this.statementStart && keepsStart
    this.prevKw = kw
    this.prevParen = false
    return this.lx.next()
  }

  /** What a keyword outside a name position does. */
  private keyword(kw: number): void {
    const d = this.d
    const atStart = this.statementStart || this.prevParen
    this.expect = Expect.None
    if (this.statementStart && this.firstKw === 0) this.firstKw = kw
    if (this.firstKw === Kw.grant || this.firstKw === Kw.revoke) {
      if (kw === Kw.table) this.expect = Expect.Target // `on table t`; their FROM names roles
      return
    }
    if (LIST_ENDS.has(kw)) {
      if (this.list[d] !== List.Ctes) this.list[d] = List.None
      return
    }
    if (atStart) this.statementWord(kw, d)
    this.clauseWord(kw, d)
  }

  /** Words that mean something only where a statement starts: WITH, INSERT, UPDATE, DELETE, … */
  private statementWord(kw: number, d: number): void {
    if (kw === Kw.with) {
      this.list[d] = List.Ctes
      this.expect = Expect.CteName
    } else if (kw === Kw.insert || kw === Kw.delete || kw === Kw.merge || kw === Kw.update) {
      this.ctx[d] = kw
      this.list[d] = List.None
      if (kw === Kw.update) this.expect = Expect.Target
    } else if (kw === Kw.truncate || kw === Kw.lock || kw === Kw.copy) {
      this.ctx[d] = kw
      this.expect = Expect.Target
      if (kw !== Kw.copy) this.list[d] = List.Tables
    }
  }

  /** Words that introduce relations wherever they are. */
  private clauseWord(kw: number, d: number): void {
    const ctx = this.ctx[d]
    if (kw === Kw.select || kw === Kw.values) {
      this.ctx[d] = Kw.select
      if (this.list[d] === List.Ctes) this.list[d] = List.None
    } else if (kw === Kw.from && this.prevKw !== Kw.distinct) {
      if (ctx === Kw.select || ctx === Kw.delete || ctx === Kw.update) this.fromList(d)
    } else if (kw === Kw.join) {
      this.fromList(d)
    } else if (kw === Kw.using && (ctx === Kw.delete || ctx === Kw.merge) && this.usingSeen[d] === 0) {
      this.usingSeen[d] = 1
      this.fromList(d)
    } else if (kw === Kw.into && (ctx === Kw.insert || ctx === Kw.merge || ctx === Kw.select)) {
      this.expect = Expect.Target
    } else if (kw === Kw.table || kw === Kw.references) {
      this.expect = Expect.Target
      if (this.firstKw === Kw.drop || this.firstKw === Kw.truncate) this.list[d] = List.Tables
    }
  }

  private fromList(d: number): void {
    this.expect = Expect.Item
    this.list[d] = List.From
  }
}
