/**
 * drizzle-orm session over the Skiff SDK, laid out as drizzle's own `neon-http` driver: a prepared
 * query runs through a {@link Runner} (the client over HTTP, or a transaction's WebSocket session),
 * `batch` is one HTTP round trip, and `transaction` is an SDK transaction with savepoints when nested.
 * @see https://github.com/drizzle-team/drizzle-orm/tree/main/drizzle-orm/src/neon-http
 * @module
 */
import * as orm from 'drizzle-orm'
import { entityKind, fillPlaceholders, type Logger, NoopLogger, type Query, sql } from 'drizzle-orm'
import type { PgDialect } from 'drizzle-orm/pg-core'
import {
  PgPreparedQuery,
  type PgQueryResultHKT,
  PgSession,
  PgTransaction,
  type PgTransactionConfig,
  type PreparedQueryConfig,
  type SelectedFieldsOrdered,
} from 'drizzle-orm/pg-core'
import type { RelationalSchemaConfig, TablesRelationalConfig } from 'drizzle-orm/relations'
import type { SkiffClient } from '../client.js'
import type { IsolationLevel } from '../config.js'
import type { QueryResult } from '../result.js'
import type { TypeOverrides } from '../types.js'

/** What runs a statement: a SkiffClient, or the `tx` of a transaction. */
export interface Runner {
  query<T>(
    text: string,
    params?: readonly unknown[],
    o?: { arrayMode?: boolean; types?: TypeOverrides },
  ): Promise<QueryResult<T>>
}

const text = (s: string) => s
/** drizzle maps dates, timestamps, intervals and numeric[] itself from the text (as neon-http does). */
export const DRIZZLE_TYPES: TypeOverrides = {
  1082: text,
  1114: text,
  1184: text,
  1186: text,
  1115: text,
  1182: text,
  1185: text,
  1187: text,
  1231: text,
}

type MapRow = (fields: SelectedFieldsOrdered, row: unknown[], joins: unknown) => unknown
/** drizzle's row mapper (exported by 'drizzle-orm' at runtime, not in its typings). */
const mapResultRow = (orm as unknown as { mapResultRow: MapRow }).mapResultRow

/** A statement ready to run. */
export class SkiffPreparedQuery<T extends PreparedQueryConfig> extends PgPreparedQuery<T> {
  static override readonly [entityKind]: string = 'SkiffPreparedQuery'

  constructor(
    private readonly runner: Runner,
    query: Query,
    private readonly logger: Logger,
    private readonly fields: SelectedFieldsOrdered | undefined,
    private readonly arrayMode: boolean,
    private readonly customResultMapper?: (rows: unknown[][]) => T['execute'],
  ) {
    super(query, undefined, undefined)
  }

  async execute(placeholderValues: Record<string, unknown> = {}): Promise<T['execute']> {
    const params = fillPlaceholders(this.query.params, placeholderValues)
    this.logger.logQuery(this.query.sql, params)
    const raw = !this.fields && !this.customResultMapper
    const result = await this.runner.query(this.query.sql, params, { arrayMode: !raw, types: DRIZZLE_TYPES })
    return this.mapResult(result)
  }

  override mapResult(result: unknown): unknown {
    if (!this.fields && !this.customResultMapper) return result
    const rows = (result as QueryResult<unknown[]>).rows
    if (this.customResultMapper) return this.customResultMapper(rows)
    const joins = (this as unknown as { joinsNotNullableMap?: unknown }).joinsNotNullableMap
    return rows.map((row) => mapResultRow(this.fields!, row, joins))
  }

  async all(placeholderValues: Record<string, unknown> = {}): Promise<T['all']> {
    const params = fillPlaceholders(this.query.params, placeholderValues)
    this.logger.logQuery(this.query.sql, params)
    return (await this.runner.query(this.query.sql, params, { types: DRIZZLE_TYPES })).rows
  }

  async values(placeholderValues: Record<string, unknown> = {}): Promise<T['values']> {
    const params = fillPlaceholders(this.query.params, placeholderValues)
    this.logger.logQuery(this.query.sql, params)
    const r = await this.runner.query(this.query.sql, params, { arrayMode: true, types: DRIZZLE_TYPES })
    return r.rows
  }

  /** @internal Whether rows come back as arrays (batch asks). */
  isResponseInArrayMode(): boolean {
    return this.arrayMode
  }
}

/** Options of a session. */
export interface SkiffSessionOptions {
  logger?: Logger
}

/** Result type of `db.execute`. */
export interface SkiffQueryResultHKT extends PgQueryResultHKT {
  type: QueryResult<this['row'] extends Record<string, unknown> ? this['row'] : Record<string, unknown>>
}

const LEVELS: Record<NonNullable<PgTransactionConfig['isolationLevel']>, IsolationLevel> = {
  'read uncommitted': 'ReadUncommitted',
  'read committed': 'ReadCommitted',
  'repeatable read': 'RepeatableRead',
  serializable: 'Serializable',
}

/** A drizzle session over a client (or, inside a transaction, over its `tx`). */
export class SkiffSession<
  TFullSchema extends Record<string, unknown>,
  TSchema extends TablesRelationalConfig,
> extends PgSession<SkiffQueryResultHKT, TFullSchema, TSchema> {
  static override readonly [entityKind]: string = 'SkiffSession'
  private readonly logger: Logger

  constructor(
    readonly client: SkiffClient,
    private readonly runner: Runner,
    dialect: PgDialect,
    private readonly schema: RelationalSchemaConfig<TSchema> | undefined,
    private readonly options: SkiffSessionOptions = {},
  ) {
    super(dialect)
    this.logger = options.logger ?? new NoopLogger()
  }

  prepareQuery<T extends PreparedQueryConfig = PreparedQueryConfig>(
    query: Query,
    fields: SelectedFieldsOrdered | undefined,
    _name: string | undefined,
    isResponseInArrayMode: boolean,
    customResultMapper?: (rows: unknown[][]) => T['execute'],
  ): PgPreparedQuery<T> {
    return new SkiffPreparedQuery(
      this.runner,
      query,
      this.logger,
      fields,
      isResponseInArrayMode,
      customResultMapper,
    )
  }

  /** Every query in one transaction, one HTTP round trip (`db.batch`). */
  async batch(
    queries: readonly { _prepare(): SkiffPreparedQuery<PreparedQueryConfig> }[],
  ): Promise<unknown[]> {
    const prepared = queries.map((q) => q._prepare())
    const built = prepared.map((p) => {
      const q = p.getQuery()
      this.logger.logQuery(q.sql, q.params)
      return { text: q.sql, params: q.params, arrayMode: p.isResponseInArrayMode() }
    })
    const results = await this.client.batch(built, { types: DRIZZLE_TYPES })
    return results.map((r, i) => prepared[i]!.mapResult(r))
  }

  override async transaction<T>(
    fn: (tx: SkiffDrizzleTransaction<TFullSchema, TSchema>) => Promise<T>,
    config: PgTransactionConfig = {},
  ): Promise<T> {
    const options = {
      isolationLevel: config.isolationLevel === undefined ? undefined : LEVELS[config.isolationLevel],
      readOnly: config.accessMode === undefined ? undefined : config.accessMode === 'read only',
      deferrable: config.deferrable,
    }
    return this.client.transaction(async (tx) => {
      const session = new SkiffSession<TFullSchema, TSchema>(
        this.client,
        tx,
        this.dialect,
        this.schema,
        this.options,
      )
      return fn(new SkiffDrizzleTransaction(this.dialect, session, this.schema))
    }, options)
  }
}

/** A drizzle transaction; nested ones are savepoints. */
export class SkiffDrizzleTransaction<
  TFullSchema extends Record<string, unknown>,
  TSchema extends TablesRelationalConfig,
> extends PgTransaction<SkiffQueryResultHKT, TFullSchema, TSchema> {
  static override readonly [entityKind]: string = 'SkiffDrizzleTransaction'

  override async transaction<T>(
    fn: (tx: SkiffDrizzleTransaction<TFullSchema, TSchema>) => Promise<T>,
  ): Promise<T> {
    const name = `sp${this.nestedIndex + 1}`
    // `dialect` and `session` are internal in drizzle's typings; node-postgres's transaction uses them too.
    const own = this as unknown as { dialect: PgDialect; session: PgSession }
    const tx = new SkiffDrizzleTransaction<TFullSchema, TSchema>(
      own.dialect,
      own.session,
      this.schema,
      this.nestedIndex + 1,
    )
    await tx.execute(sql.raw(`savepoint ${name}`))
    try {
      const out = await fn(tx)
      await tx.execute(sql.raw(`release savepoint ${name}`))
      return out
    } catch (err) {
      await tx.execute(sql.raw(`rollback to savepoint ${name}`))
      throw err
    }
  }
}
