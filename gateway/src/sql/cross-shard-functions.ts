/**
 * Which function calls a cross-shard read may hold where aggregates can stand (a select list, HAVING,
 * ORDER BY, at any level): the built-in aggregates (combined or refused by name, cross-shard-ast.ts),
 * the built-in set-returning functions (refused), and the common built-in scalar functions below.
 * Anything else is refused: a user-defined aggregate looks like any other call to a parser, and one
 * run on each shard would give one row per shard where the client expects one.
 * @module
 */
import type { Statement } from 'pgsql-ast-parser'
import { COLLATE_MARKER } from './collate-marker.js'
import { aggregateName, SET_RETURNING, someNode } from './cross-shard-ast.js'

/** Built-in scalar functions (pg_catalog) that a cross-shard read may call. */
const KNOWN_SCALAR = new Set([
  ...['lower', 'upper', 'initcap', 'length', 'char_length', 'character_length', 'octet_length'],
  ...['substr', 'substring', 'trim', 'btrim', 'ltrim', 'rtrim', 'replace', 'concat', 'concat_ws'],
  ...['left', 'right', 'position', 'strpos', 'lpad', 'rpad', 'reverse', 'split_part', 'format', 'md5'],
  ...['repeat', 'translate', 'starts_with', 'regexp_replace', 'regexp_match', 'ascii', 'chr', 'quote_ident'],
  ...['coalesce', 'nullif', 'greatest', 'least', 'abs', 'round', 'trunc', 'ceil', 'ceiling', 'floor'],
  ...['sign', 'sqrt', 'cbrt', 'power', 'pow', 'mod', 'ln', 'log', 'log10', 'exp', 'div', 'width_bucket'],
  ...['date_trunc', 'date_part', 'extract', 'now', 'age', 'to_char', 'to_date', 'to_timestamp', 'to_number'],
  ...['make_date', 'make_timestamp', 'make_timestamptz', 'make_interval', 'date_bin', 'justify_interval'],
  ...['current_date', 'current_timestamp', 'localtimestamp', 'statement_timestamp', 'clock_timestamp'],
  ...['array_length', 'cardinality', 'array_position', 'array_to_string', 'string_to_array', 'array_cat'],
  ...['json_extract_path_text', 'jsonb_extract_path_text', 'json_extract_path', 'jsonb_extract_path'],
  ...['jsonb_typeof', 'json_typeof', 'to_json', 'to_jsonb', 'row_to_json', 'json_build_object'],
  ...['jsonb_build_object', 'json_build_array', 'jsonb_build_array', 'jsonb_array_length', 'jsonb_set'],
  ...['pg_typeof', 'gen_random_uuid', 'random', 'encode', 'decode', 'num_nonnulls', 'num_nulls'],
  ...['int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'text', 'bool', 'date', 'timestamp'],
  ...['timestamptz', 'interval', 'varchar', 'bpchar', 'uuid', 'isfinite'],
])

/** True for a call Skiff knows: a built-in aggregate, set-returning or listed scalar function. */
function known(call: Record<string, unknown>): boolean {
  const { name, schema } = call.function as { name: string; schema?: string }
  if (schema !== undefined && schema !== 'pg_catalog') return false
  if (name === COLLATE_MARKER) return true // COLLATE "C", as collate-marker.ts reads it
  return aggregateName(call as never) !== undefined || SET_RETURNING.has(name) || KNOWN_SCALAR.has(name)
}

/**
 * The first function the statement calls where an aggregate could stand that Skiff does not know,
 * as written (`myschema.f`), or undefined.
 */
export function unknownFunction(statement: Statement): string | undefined {
  let found: string | undefined
  const inAggregatePlaces = (select: Record<string, unknown>) => {
    for (const part of [select.columns, select.having, select.orderBy]) {
      someNode([part], (n) => {
        if (n.type === 'call' && !known(n)) {
          const f = n.function as { name: string; schema?: string }
          found = f.schema === undefined ? f.name : `${f.schema}.${f.name}`
        }
        return found !== undefined
      })
      if (found !== undefined) return true
    }
    return false
  }
  if (statement.type === 'select' && inAggregatePlaces(statement as never)) return found
  someNode(statement, (n) => n.type === 'select' && inAggregatePlaces(n))
  return found
}
