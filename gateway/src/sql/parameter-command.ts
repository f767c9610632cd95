/**
 * Reads what a SET, RESET or SHOW statement names, with a lexer of its own over that statement only
 * (these are rare on the hot path, so a second look costs nothing that matters).
 * @see https://www.postgresql.org/docs/current/sql-set.html
 * @see https://www.postgresql.org/docs/current/sql-reset.html
 * @see https://www.postgresql.org/docs/current/sql-show.html
 * @see https://github.com/postgres/postgres/blob/master/src/backend/parser/gram.y (set_rest_more,
 *   VariableShowStmt: the names the special forms stand for)
 * @module
 */
import { Ch } from './char-class.js'
import { decodeUtf8, readQualifiedName } from './identifier.js'
import { Kw, lookupKeyword } from './keywords.js'
import { SqlLexer, Token } from './lexer.js'
import type { ParameterCommand } from './statement-info.js'

/** Where a special form applies. */
const FOR_SET = 1
const FOR_SHOW_RESET = 2
const ANY = FOR_SET | FOR_SHOW_RESET

/** Multi-word forms, longest first: [words, parameter name, for the transaction only, where]. */
const SPECIAL: ReadonlyArray<readonly [number[], string, boolean, number]> = (
  [
    ['session characteristics as transaction', 'session_characteristics', false, FOR_SET],
    ['transaction isolation level', 'transaction_isolation', false, FOR_SHOW_RESET],
    ['session authorization', 'session_authorization', false, ANY],
    ['time zone', 'timezone', false, ANY],
    ['xml option', 'xmloption', false, FOR_SET],
    ['transaction', 'transaction', true, FOR_SET],
    ['constraints', 'constraints', true, FOR_SET],
    ['names', 'client_encoding', false, FOR_SET],
    ['schema', 'search_path', false, FOR_SET],
    ['role', 'role', false, ANY],
    ['all', 'all', false, FOR_SHOW_RESET],
  ] as const
).map(
  ([words, name, local, where]) =>
    [words.split(' ').map((w) => Kw[w as keyof typeof Kw]), name, local, where] as const,
)

const lexer = new SqlLexer()

/**
 * The SET / RESET / SHOW statement in `buf[start, end)` (its first word included, no `;`). `firstKw`
 * is `Kw.set`, `Kw.reset` or `Kw.show`.
 */
export function parameterCommand(
  buf: Uint8Array,
  start: number,
  end: number,
  firstKw: number,
  standardStrings = true,
): ParameterCommand {
  const lx = lexer.reset(buf, start, end, standardStrings)
  lx.next() // SET, RESET or SHOW
  const local = firstKw === Kw.set && readScope(lx)
  const isSet = firstKw === Kw.set
  const special = matchSpecial(lx, isSet ? FOR_SET : FOR_SHOW_RESET)
  const name = special ? special[1] : genericName(lx, isSet)
  if (special && isSet) skipAssignment(lx) // `SET ROLE TO x` is the generic form of `SET ROLE x`
  const value = isSet ? decodeUtf8(buf, lx.pos, end).trim() : ''
  const reset = firstKw === Kw.reset || (isSet && /^default$/i.test(value))
  return { name, local: local || (special?.[2] ?? false), reset, value }
}

/** SET LOCAL → true; SET SESSION (unless SESSION AUTHORIZATION / CHARACTERISTICS) is read past. */
function readScope(lx: SqlLexer): boolean {
  const save = lx.pos
  if (lx.next() !== Token.Word) {
    lx.pos = save
    return false
  }
  const kw = lookupKeyword(lx.buf, lx.start, lx.pos)
  if (kw === Kw.local) return true
  if (kw === Kw.session) {
    const afterScope = lx.pos
    const t = lx.next()
    const nextKw = t === Token.Word ? lookupKeyword(lx.buf, lx.start, lx.pos) : 0
    lx.pos = nextKw === Kw.authorization || nextKw === Kw.characteristics ? save : afterScope
    return false
  }
  lx.pos = save
  return false
}

/** One of the {@link SPECIAL} forms at the lexer's position; the lexer is left after it, if so. */
function matchSpecial(lx: SqlLexer, where: number): (typeof SPECIAL)[number] | undefined {
  const save = lx.pos
  const words: number[] = []
  const ends: number[] = []
  while (words.length < 4 && lx.next() === Token.Word) {
    words.push(lookupKeyword(lx.buf, lx.start, lx.pos))
    ends.push(lx.pos)
  }
  const found = SPECIAL.find(
    ([w, , , at]) => (at & where) !== 0 && w.length <= words.length && w.every((kw, i) => words[i] === kw),
  )
  lx.pos = found ? ends[found[0].length - 1]! : save
  return found
}

/** Reads past a TO or `=` at the lexer's position, if there is one. */
function skipAssignment(lx: SqlLexer): void {
  const save = lx.pos
  const t = lx.next()
  const isTo = t === Token.Word && lookupKeyword(lx.buf, lx.start, lx.pos) === Kw.to
  if (!isTo && !(t === Token.Punct && lx.byte === Ch.Equals)) lx.pos = save
}

/**
 * Names up to TO, `=` or FROM (SET), or to the end (SHOW, RESET): qualified parts joined by `.`,
 * further words by a space. Leaves the lexer where the value starts (after TO or `=`; at FROM).
 */
function genericName(lx: SqlLexer, isSet: boolean): string {
  let name = ''
  for (;;) {
    const save = lx.pos
    const t = lx.next()
    if (t === Token.Word || t === Token.QuotedIdent) {
      const kw = t === Token.Word ? lookupKeyword(lx.buf, lx.start, lx.pos) : 0
      if (isSet && kw === Kw.to) return name
      if (isSet && kw === Kw.from) {
        lx.pos = save
        return name
      }
      name += (name ? ' ' : '') + readQualifiedName(lx, t)
    } else {
      if (!(t === Token.Punct && lx.byte === Ch.Equals)) lx.pos = save
      return name
    }
  }
}
