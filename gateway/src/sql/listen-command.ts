/**
 * Recognizes a simple Query that is exactly one LISTEN or UNLISTEN, so the gateway can answer it and
 * register the client with its pool's notification listener instead of running it on a server
 * connection the client gives back at the end of the transaction.
 *
 * Grammar (gram.y): `LISTEN ColId`, `UNLISTEN ColId`, `UNLISTEN *`. Around the statement there may be
 * whitespace, comments and empty statements (`;`), which Postgres answers with nothing. Anything else
 * (a second statement, a reserved word, a qualified name, a name Postgres would refuse) is not
 * recognized, so the gateway forwards the text and the server answers it, errors included.
 *
 * Postgres answers a LISTEN or UNLISTEN with CommandComplete `LISTEN` / `UNLISTEN`; when the name was
 * longer than 63 bytes it first sends NOTICE 42622 with {@link truncationNotice}'s message.
 * @see https://www.postgresql.org/docs/current/sql-listen.html
 * @see https://www.postgresql.org/docs/current/sql-unlisten.html
 * @see https://github.com/postgres/postgres/blob/master/src/backend/parser/gram.y (ListenStmt,
 *   UnlistenStmt)
 * @module
 */
import { Ch } from './char-class.js'
import { nextSignificant, readColId } from './col-id.js'
import { Kw, lookupKeyword } from './keywords.js'
import { SqlLexer, Token } from './lexer.js'

/** A LISTEN or UNLISTEN of one channel. */
export interface ChannelCommand {
  kind: 'listen' | 'unlisten'
  /** The channel as Postgres names it (and as its NotificationResponse messages carry it). */
  channel: string
  /** The name before truncation to 63 bytes: equal to `channel` unless `truncated`. */
  fullName: string
  /** The name was cut: Postgres sends NOTICE 42622 (see {@link truncationNotice}). */
  truncated: boolean
}

/**
 * What one LISTEN or UNLISTEN statement asks for. `UNLISTEN *` is a kind of its own, not a channel
 * `'*'`: `UNLISTEN "*"` names a channel called `*`.
 */
export type ListenCommand = ChannelCommand | { kind: 'unlisten-all' }

const lexer = new SqlLexer()

/**
 * The LISTEN or UNLISTEN that `buf[start, end)` (a simple Query's text, UTF-8) consists of, or
 * undefined when the text is anything else. `standardStrings`: the session's
 * standard_conforming_strings (only a UESCAPE literal depends on it).
 */
export function parseListenCommand(
  buf: Uint8Array,
  start: number,
  end: number,
  standardStrings = true,
): ListenCommand | undefined {
  const lx = lexer.reset(buf, start, end, standardStrings)
  let t = skipEmpty(lx)
  const kw = t === Token.Word ? lookupKeyword(buf, lx.start, lx.pos) : 0
  if (kw !== Kw.listen && kw !== Kw.unlisten) return undefined
  t = nextSignificant(lx)
  let command: ListenCommand | undefined
  if (kw === Kw.unlisten && t === Token.Punct && lx.byte === Ch.Star) command = { kind: 'unlisten-all' }
  else {
    const id = readColId(lx, t)
    if (id === undefined) return undefined
    const kind = kw === Kw.listen ? 'listen' : 'unlisten'
    command = { kind, channel: id.name, fullName: id.full, truncated: id.truncated }
  }
  return skipEmpty(lx) === Token.End && !lx.unterminated ? command : undefined
}

/** {@link parseListenCommand} of a string. */
export function parseListenSql(text: string, standardStrings = true): ListenCommand | undefined {
  const buf = Buffer.from(text, 'utf8')
  return parseListenCommand(buf, 0, buf.length, standardStrings)
}

/**
 * The message of the NOTICE (SQLSTATE 42622, name_too_long) Postgres sends before it answers a LISTEN
 * or UNLISTEN whose name it truncated, or undefined when it did not.
 * @see https://github.com/postgres/postgres/blob/master/src/backend/parser/scansup.c (truncate_identifier)
 */
export function truncationNotice(command: ListenCommand): string | undefined {
  if (command.kind === 'unlisten-all' || !command.truncated) return undefined
  return `identifier "${command.fullName}" will be truncated to "${command.channel}"`
}

/** The next token that is neither a comment nor a `;` (an empty statement). */
function skipEmpty(lx: SqlLexer): Token {
  for (;;) {
    const t = nextSignificant(lx)
    if (lx.unterminated || t !== Token.Punct || lx.byte !== Ch.Semicolon) return t
  }
}
