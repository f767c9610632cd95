/**
 * Interactive transactions over the gateway's WebSocket: one session per transaction, routed by the
 * routing commands before BEGIN, with savepoints for nested `transaction()` calls and ROLLBACK when
 * the callback throws.
 * @module
 */
import type { IsolationLevel, TransactionOptions } from './config.js'
import { encodeParam, fromTemplate, type SqlQuery } from './params.js'
import { parseResult, type QueryResult } from './result.js'
import { type TypeOverrides, type TypeParser, withOverrides } from './types.js'
import type { WireConnection } from './wire/connection.js'

/** The handle a transaction callback gets: run statements, or nest with a savepoint. */
export interface SkiffTransaction {
  <T = Record<string, unknown>>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]>
  query<T = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    options?: { arrayMode?: boolean; types?: TypeOverrides },
  ): Promise<QueryResult<T>>
  /** A savepoint around `fn`: released when it returns, rolled back to (and rethrown) when it throws. */
  transaction<R>(fn: (tx: SkiffTransaction) => Promise<R>): Promise<R>
  /** Builds a statement without running it. */
  sql(strings: TemplateStringsArray, ...values: unknown[]): SqlQuery
}

const LEVELS: Record<IsolationLevel, string> = {
  ReadUncommitted: 'READ UNCOMMITTED',
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
}

/** The BEGIN of a transaction with these options. */
export function beginStatement(o: TransactionOptions): string {
  const parts = ['BEGIN']
  if (o.isolationLevel !== undefined) parts.push(`ISOLATION LEVEL ${LEVELS[o.isolationLevel]}`)
  if (o.readOnly !== undefined) parts.push(o.readOnly ? 'READ ONLY' : 'READ WRITE')
  if (o.deferrable !== undefined) parts.push(o.deferrable ? 'DEFERRABLE' : 'NOT DEFERRABLE')
  return parts.join(' ')
}

/** Builds the `tx` handle over a session already inside BEGIN. */
export function transactionHandle(
  conn: WireConnection,
  parserOf: (oid: number) => TypeParser,
): SkiffTransaction {
  let savepoints = 0
  const query = async <T>(
    text: string,
    params: readonly unknown[] = [],
    o: { arrayMode?: boolean; types?: TypeOverrides } = {},
  ) => {
    const raw = await conn.query(text, params.map(encodeParam))
    return parseResult<T>(raw, withOverrides(parserOf, o.types), {}, o.arrayMode)
  }
  const tx = (async (strings: TemplateStringsArray, ...values: unknown[]) => {
    const q = fromTemplate(strings, values)
    return (await query(q.text, q.params)).rows
  }) as SkiffTransaction
  tx.query = query
  tx.sql = (strings, ...values) => fromTemplate(strings, values)
  tx.transaction = async (fn) => {
    const name = `skiff_sp_${++savepoints}`
    await conn.query(`SAVEPOINT ${name}`)
    try {
      const out = await fn(tx)
      await conn.query(`RELEASE SAVEPOINT ${name}`)
      return out
    } catch (err) {
      await conn.query(`ROLLBACK TO SAVEPOINT ${name}`)
      throw err
    }
  }
  return tx
}
