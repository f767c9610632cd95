/**
 * Where a statement's sharding key values are, for a pool with `automatic_sharding_key =
 * "table.column"`: learned once per statement shape with a full parser, then read from each text's
 * literal bytes (sharding-key-read.ts) without parsing again (key-locator-cache.ts).
 *
 * `locateShardingKey` parses the text with pgsql-ast-parser, finds the values the key column takes
 * (sharding-key-ast.ts says which forms count), and names each value by what stays fixed across every
 * text of the shape: the index of its literal among the shape's literals, or its `$n`. The parser's
 * locations are JS string indices and the shape's offsets are UTF-8 byte offsets into the caller's
 * buffer, so each located value is converted before it is matched, and a value that does not match
 * one literal exactly (adjacent strings that Postgres joins, a lexer disagreement) is not a key.
 * Anything the parser cannot read, and text read with standard_conforming_strings off (the parser
 * reads backslashes as Postgres does only with it on), locates nothing: kind `none`, never a guess.
 * @see https://github.com/postgresml/pgcat/blob/main/src/query_router.rs (PgCat's automatic sharding)
 * @module
 */
import { createRequire } from 'node:module'
import type { Statement } from 'pgsql-ast-parser'
import { decodeUtf8 } from './identifier.js'
import { type LiteralMap, statementKeys } from './sharding-key-ast.js'
import type { StatementShape } from './statement-shape.js'

/** The sharding key column, from `"table.column"`, each part folded as Postgres folds an unquoted name. */
export interface ShardingKeyColumn {
  readonly table: string
  readonly column: string
}

/** One value of the key: the shape's `literal`-th literal (negated: `-5`), or bind parameter `$param`. */
export type KeyRef = { readonly literal: number; readonly negate: boolean } | { readonly param: number }

/** A locator that found values. */
export interface KeysLocator {
  readonly kind: 'keys'
  /** Every value the key takes in the text, in order; the router requires them all on one shard. */
  readonly refs: readonly KeyRef[]
}

/** Where a statement's sharding key values are, learned once per shape. */
export type KeyLocator =
  /** The statement names no key value (route it by other means); `reason` says why, for logs. */
  | { readonly kind: 'none'; readonly reason?: string }
  | KeysLocator
  /** The statement cannot be routed by key and should be refused (e.g. `UPDATE … SET <key> = …`). */
  | { readonly kind: 'error'; readonly message: string; readonly hint?: string }

/** pgsql-ast-parser's `parse`, or a stand-in (tests count calls). */
export type AstParse = (sql: string, options: { locationTracking: boolean }) => readonly Statement[]

let astParse: AstParse | undefined

/** pgsql-ast-parser, loaded on first use as second-opinion.ts does (it takes ≈ 0.3 s to load). */
function defaultParse(): AstParse {
  if (astParse === undefined) {
    const require = createRequire(import.meta.url)
    astParse = (require('pgsql-ast-parser') as { parse: AstParse }).parse
  }
  return astParse
}

/**
 * Finds where the key's values are in the text `buf[start, end)`, whose shape `shape` was just read
 * (`shape.read(buf, start, end)`: its literal offsets must be into this `buf`). Slow (a full parse):
 * call it once per shape, through a {@link KeyLocatorCache}.
 * @example locateShardingKey(buf, 0, buf.length, shape, { table: 'users', column: 'id' })
 * // { kind: 'keys', refs: [{ literal: 0, negate: false }] } for `select * from users where id = 7`
 */
export function locateShardingKey(
  buf: Uint8Array,
  start: number,
  end: number,
  shape: StatementShape,
  key: ShardingKeyColumn,
  standardConformingStrings = true,
  parse: AstParse = defaultParse(),
): KeyLocator {
  if (!standardConformingStrings) return { kind: 'none', reason: 'standard_conforming_strings is off' }
  if (end > start && buf[end - 1] === 0) end--
  const sql = decodeUtf8(buf, start, end)
  const literals = literalMap(sql, start, end, shape)
  if (literals === undefined) return { kind: 'none', reason: 'the text is not valid UTF-8' }
  let statements: readonly Statement[]
  try {
    statements = parse(sql, { locationTracking: true })
  } catch {
    return { kind: 'none', reason: 'the parser cannot read the text' }
  }
  const refs: KeyRef[] = []
  for (const statement of statements) {
    const found = statementKeys(statement, key, literals)
    if (found.kind === 'error') return found
    if (found.kind === 'keys') refs.push(...found.refs)
  }
  return refs.length === 0 ? { kind: 'none' } : { kind: 'keys', refs }
}

/**
 * Matches parser locations (string indices into `sql`) to the shape's literals (byte offsets into
 * the buffer `sql` was decoded from at `start`); undefined when `sql` is not the buffer's exact text
 * (invalid UTF-8 became U+FFFD, so byte offsets cannot be recovered).
 */
function literalMap(sql: string, start: number, end: number, shape: StatementShape): LiteralMap | undefined {
  const bytes = new Int32Array(sql.length + 1)
  let at = start
  for (let i = 0; i < sql.length; i++) {
    bytes[i] = at
    const c = sql.charCodeAt(i)
    // A surrogate pair is one 4-byte character: 4 bytes at its high half, none at its low half.
    at += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? 4 : c >= 0xdc00 && c < 0xe000 ? 0 : 3
  }
  bytes[sql.length] = at
  if (at !== end) return undefined
  const byStart = new Map<number, number>()
  for (let i = 0; i < shape.literalCount; i++) byStart.set(shape.literalStart(i), i)
  return {
    sql,
    at(start, end) {
      const i = byStart.get(bytes[start]!)
      return i !== undefined && shape.literalEnd(i) === bytes[end] ? i : undefined
    },
  }
}
