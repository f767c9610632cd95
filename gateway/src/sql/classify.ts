/**
 * Classifies a request's SQL text in one pass over its bytes: the lexer finds the tokens and the
 * statement boundaries (a `;` outside parentheses and routine bodies), and per statement a small state
 * machine (`Step`) reads only as many words as its kind needs, then skims to the next `;`. Nothing is
 * allocated per token; a call allocates its result, plus the strings it returns (an unknown first
 * word, comments, SET names) and, for several statements, the `kinds` array.
 * @module
 */
import { Ch } from './char-class.js'
import { onCopyHead, onExplainHead, onExplainOptions } from './explain-copy.js'
import { onFirst } from './first-word.js'
import { decodeUtf8, wordText } from './identifier.js'
import { KEYWORD_TEXT, lookupKeyword } from './keywords.js'
import { SqlLexer, Token } from './lexer.js'
import { parameterCommand } from './parameter-command.js'
import { onRead } from './read-detector.js'
import { onCreateHead, trackRoutineBlocks } from './routine-body.js'
import {
  combineKinds,
  isTransactionControl,
  NO_COMMENTS,
  NO_KINDS,
  type ParameterCommand,
  SINGLE_KIND,
  type StatementInfo,
  type StatementKind,
} from './statement-info.js'
import { StatementState, Step } from './statement-state.js'
import { onEndTx, onPrepare, onSetHead, onTxModes } from './transaction-words.js'

/** Gives one token to the handler of the statement's current step. */
function dispatch(st: StatementState, t: Token, kw: number, lx: SqlLexer): void {
  switch (st.step) {
    case Step.First:
      return onFirst(st, t, kw, lx)
    case Step.Read:
      return onRead(st, t, kw, lx)
    case Step.TxModes:
      return onTxModes(st, t, kw)
    case Step.EndTx:
      return onEndTx(st, t, kw)
    case Step.Prepare:
      return onPrepare(st, t, kw)
    case Step.SetHead:
      return onSetHead(st, t, kw)
    case Step.ExplainHead:
      return onExplainHead(st, t, kw, lx)
    case Step.ExplainOptions:
      return onExplainOptions(st, t, kw, lx)
    case Step.CopyHead:
      return onCopyHead(st, t, kw, lx)
    case Step.CreateHead:
      return onCreateHead(st, t, kw)
    case Step.Done:
      return
    default:
      throw new Error(`Unexpected step: ${st.step satisfies never}`)
  }
}

/** Reads one non-comment token into the statement. */
function feed(st: StatementState, t: Token, lx: SqlLexer): void {
  const paren = t === Token.Punct && (lx.byte === Ch.LParen || lx.byte === Ch.RParen)
  if (paren) {
    if (lx.byte === Ch.LParen) st.depth++
    else if (st.depth > 0) st.depth--
  }
  if (st.tokens++ === 0) st.start = lx.start
  st.end = lx.pos
  if (t === Token.Word && (st.step !== Step.Done || st.routine)) {
    const kw = lookupKeyword(lx.buf, lx.start, lx.pos)
    if (st.routine && st.depth === 0) trackRoutineBlocks(st, kw)
    dispatch(st, t, kw, lx)
  } else if (st.step !== Step.Done) {
    dispatch(st, t, 0, lx)
  }
  st.prevParen = paren
}

/** What the statements seen so far add up to. */
class Summary {
  count = 0
  kind: StatementKind = 'empty'
  firstKind: StatementKind = 'empty'
  kinds: StatementKind[] | undefined = undefined
  transactionControl = false
  readOnly: boolean | undefined = undefined
  chain = false
  parameter: ParameterCommand | undefined = undefined
  firstKeyword = ''
  comments: string[] | undefined = undefined

  reset(): void {
    this.count = 0
    this.kind = 'empty'
    this.firstKind = 'empty'
    this.kinds = undefined
    this.transactionControl = false
    this.readOnly = undefined
    this.chain = false
    this.parameter = undefined
    this.firstKeyword = ''
    this.comments = undefined
  }

  /** Keeps a comment seen before the first keyword. */
  comment(text: string): void {
    if (this.comments === undefined) this.comments = [text]
    else this.comments.push(text)
  }

  /** Adds a finished statement (an empty one adds nothing). */
  add(st: StatementState, lx: SqlLexer): void {
    if (st.tokens === 0) return
    const kind = st.finalKind()
    if (this.count === 0) {
      this.firstKind = kind
      this.firstKeyword = firstKeywordText(st, lx)
    } else if (this.count === 1) {
      this.kinds = [this.firstKind, kind]
    } else {
      this.kinds!.push(kind)
    }
    this.count++
    this.kind = combineKinds(this.kind, kind)
    if (isTransactionControl(kind)) this.transactionControl = true
    if (st.readOnly !== undefined) this.readOnly = st.readOnly
    if (st.chain) this.chain = true
    if ((kind === 'set' || kind === 'show') && this.parameter === undefined) {
      this.parameter = parameterCommand(lx.buf, st.start, st.end, st.firstKw, lx.standardStrings)
    }
  }

  result(unterminated: boolean): StatementInfo {
    const n = this.count
    return {
      kind: this.kind,
      firstKeyword: this.firstKeyword,
      statementCount: n,
      kinds: n === 0 ? NO_KINDS : n === 1 ? SINGLE_KIND[this.firstKind] : this.kinds!,
      transactionControl: this.transactionControl,
      readOnly: this.readOnly,
      chain: this.chain,
      parameter: this.parameter,
      leadingComments: this.comments ?? NO_COMMENTS,
      unterminated,
    }
  }
}

function firstKeywordText(st: StatementState, lx: SqlLexer): string {
  if (st.firstKw !== 0) return KEYWORD_TEXT[st.firstKw]!
  return st.firstWordStart < 0 ? '' : wordText(lx.buf, st.firstWordStart, st.firstWordEnd)
}

const lexer = new SqlLexer()
const statement = new StatementState()
const summary = new Summary()

/**
 * Classifies the UTF-8 SQL text `buf[start, end)` in place: a Query message's text or a Parse
 * message's statement, with or without its NUL terminator. It reuses module-level scratch state,
 * which is safe because it is synchronous and keeps nothing between calls.
 * @param standardConformingStrings the session's setting; off, a backslash escapes in `'…'` too.
 * @example classifyStatement(body, 0, body.length).kind // 'read' for `select 1;`
 */
export function classifyStatement(
  buf: Uint8Array,
  start: number,
  end: number,
  standardConformingStrings = true,
): StatementInfo {
  if (end > start && buf[end - 1] === 0) end--
  const lx = lexer.reset(buf, start, end, standardConformingStrings)
  const st = statement
  const sum = summary
  st.reset()
  sum.reset()
  for (let t = lx.next(); t !== Token.End; t = lx.next()) {
    if (t === Token.Comment) {
      if (sum.count === 0 && st.tokens === 0) sum.comment(decodeUtf8(buf, lx.start, lx.pos))
    } else if (t === Token.Punct && lx.byte === Ch.Semicolon && st.depth === 0 && st.atomicDepth === 0) {
      sum.add(st, lx)
      st.reset()
    } else if (st.step === Step.Done && !st.routine) {
      // Skimming: only parentheses and the statement's extent matter now.
      if (t === Token.Punct)
        st.depth += lx.byte === Ch.LParen ? 1 : lx.byte === Ch.RParen && st.depth > 0 ? -1 : 0
      st.end = lx.pos
    } else {
      feed(st, t, lx)
    }
  }
  sum.add(st, lx)
  return sum.result(lx.unterminated)
}

/**
 * {@link classifyStatement} of a string (tests, HTTP).
 * @example classifySql('begin read only').readOnly // true
 */
export function classifySql(text: string, standardConformingStrings = true): StatementInfo {
  const buf = Buffer.from(text, 'utf8')
  return classifyStatement(buf, 0, buf.length, standardConformingStrings)
}
