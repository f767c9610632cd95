/**
 * A full parser's view of what a text writes, asked once per shape on a cache miss (shape-cache.ts)
 * to catch reads the tokenizer got wrong. `astWrites` parses with pgsql-ast-parser and walks each
 * statement's tree for what needs the primary, as the tokenizer's `onRead` does token by token:
 * - an INSERT, UPDATE or DELETE node anywhere (a data-modifying WITH query);
 * - a SELECT with a locking clause (`for: {type: 'update' | 'share' | …}`), at any depth;
 * - a call of a function in the primary list (`isPrimaryFunctionName`), in any schema, quoted or not;
 * - a statement that is none of the kinds a read or transaction control can be (`create …`, …).
 * The parser does not know all of Postgres (no EXPLAIN, TABLE, SELECT … INTO, INTERSECT, `FOR
 * UPDATE OF t`, …): when it throws, it has no opinion and the tokenizer's decision stands.
 *
 * pgsql-ast-parser takes about a quarter of a second to load, so it is loaded on first use (or by
 * `loadSecondOpinion` at start-up), not when sql/ is imported. It is pure JavaScript (a nearley
 * grammar): no I/O, so sql/ stays pure.
 * @see https://github.com/oguimbal/pgsql-ast-parser
 * @module
 */
import { createRequire } from 'node:module'
import { isPrimaryFunctionName } from './keywords.js'
import { combineKinds, type StatementInfo, type StatementKind } from './statement-info.js'

/**
 * Which statements of `sql` write, in order, by some reader other than the tokenizer; undefined when
 * it cannot tell (the text does not parse). Used only to turn reads into writes, never the reverse.
 */
export type SecondOpinion = (sql: string) => readonly boolean[] | undefined

type Parse = (sql: string) => readonly unknown[]

let parse: Parse | undefined

/** Loads pgsql-ast-parser now rather than on the first cache miss that needs it (≈ 0.3 s). */
export function loadSecondOpinion(): void {
  if (parse !== undefined) return
  const require = createRequire(import.meta.url)
  parse = (require('pgsql-ast-parser') as { parse: Parse }).parse
}

/**
 * The {@link SecondOpinion} of pgsql-ast-parser.
 * @example astWrites(`select "nextval"('s')`) // [true]: the tokenizer misses quoted function names
 */
export const astWrites: SecondOpinion = (sql) => {
  loadSecondOpinion()
  let statements: readonly unknown[]
  try {
    statements = parse!(sql)
  } catch {
    return undefined
  }
  return statements.map(statementWrites)
}

/** What a statement that is not a write may be, at the top of its tree. */
const NOT_WRITES: ReadonlySet<string> = new Set([
  ...['select', 'union', 'union all', 'values', 'with', 'with recursive'],
  ...['begin', 'start transaction', 'commit', 'rollback', 'show', 'set', 'set timezone', 'set names'],
  ...['prepare', 'deallocate'],
])

function statementWrites(statement: unknown): boolean {
  const type = (statement as { type?: unknown } | null)?.type
  if (typeof type === 'string' && !NOT_WRITES.has(type)) return true
  return writes(statement)
}

/** Node types that change data wherever they are (`update` is also the node of FOR UPDATE). */
const DATA_MODIFYING: ReadonlySet<string> = new Set(['insert', 'update', 'delete'])

/** True if the tree under `node` holds something that needs the primary. */
function writes(node: unknown): boolean {
  if (typeof node !== 'object' || node === null) return false
  if (Array.isArray(node)) return node.some(writes)
  const n = node as Record<string, unknown>
  const type = n.type
  if (typeof type === 'string') {
    if (DATA_MODIFYING.has(type)) return true
    if (type === 'select' && n.for != null) return true
    if (type === 'call' && isPrimaryCall(n.function)) return true
  }
  for (const key in n) if (key !== '_location' && writes(n[key])) return true
  return false
}

/** The name of a call (`{name, schema?}`), in any schema as the tokenizer does. */
function isPrimaryCall(fn: unknown): boolean {
  const name = (fn as { name?: unknown } | null)?.name
  return typeof name === 'string' && isPrimaryFunctionName(name)
}

/**
 * `info` with the reads that `writes` marks made writes. The two readers normally split the text
 * alike; if their statement counts differ, a write anywhere makes every read a write.
 */
export function withWrites(info: StatementInfo, writes: readonly boolean[]): StatementInfo {
  const aligned = writes.length === info.kinds.length
  const anyWrite = writes.includes(true)
  let kind: StatementKind = 'empty'
  let changed = false
  const kinds = info.kinds.map((k, i) => {
    const write = k === 'read' && (aligned ? writes[i] === true : anyWrite)
    changed ||= write
    kind = combineKinds(kind, write ? 'write' : k)
    return write ? 'write' : k
  })
  return changed ? { ...info, kind, kinds } : info
}
