/**
 * `drizzle(client, { schema })` for a Skiff SDK client: queries over HTTP, `db.batch` in one round trip,
 * `db.transaction` over WebSocket, and routing with `db.$primary()`, `db.$replica()`, `db.$shard(n)`,
 * `db.$shardingKey(k)` (or pass a derived client: `drizzle(client.replica())`).
 * @module
 */
import { DefaultLogger, entityKind, type Logger } from 'drizzle-orm'
import type { BatchItem, BatchResponse } from 'drizzle-orm/batch'
import { PgDatabase, PgDialect } from 'drizzle-orm/pg-core'
import {
  createTableRelationsHelpers,
  extractTablesRelationalConfig,
  type RelationalSchemaConfig,
  type TablesRelationalConfig,
} from 'drizzle-orm/relations'
import type { DrizzleConfig } from 'drizzle-orm/utils'
import type { SkiffClient } from '../client.js'
import { type SkiffQueryResultHKT, SkiffSession } from './session.js'

/** A drizzle database over Skiff. */
export class SkiffDatabase<
  TSchema extends Record<string, unknown> = Record<string, never>,
> extends PgDatabase<SkiffQueryResultHKT, TSchema> {
  static override readonly [entityKind]: string = 'SkiffDatabase'
  declare $client: SkiffClient
  /** @internal */
  declare $config: DrizzleConfig<TSchema>

  /** Runs the queries in one transaction, one HTTP round trip. */
  async batch<U extends BatchItem<'pg'>, T extends Readonly<[U, ...U[]]>>(
    batch: T,
  ): Promise<BatchResponse<T>> {
    // drizzle's typings mark `session` internal (its own drivers reach it the same way).
    const session = (this as unknown as { session: SkiffSession<TSchema, TablesRelationalConfig> }).session
    return session.batch(batch as never) as Promise<BatchResponse<T>>
  }

  /** The same database with its queries on the primary. */
  $primary(): SkiffDatabase<TSchema> {
    return drizzle(this.$client.primary(), this.$config)
  }
  /** The same database with its queries on replicas. */
  $replica(): SkiffDatabase<TSchema> {
    return drizzle(this.$client.replica(), this.$config)
  }
  /** The same database on shard `n`. */
  $shard(n: number): SkiffDatabase<TSchema> {
    return drizzle(this.$client.shard(n), this.$config)
  }
  /** The same database on the shard of `key`. */
  $shardingKey(key: string | number | bigint): SkiffDatabase<TSchema> {
    return drizzle(this.$client.shardingKey(key), this.$config)
  }
}

/**
 * A drizzle database over an SDK client.
 * @example const db = drizzle(createClient({ url, user, password, database }), { schema })
 */
export function drizzle<TSchema extends Record<string, unknown> = Record<string, never>>(
  client: SkiffClient,
  config: DrizzleConfig<TSchema> = {},
): SkiffDatabase<TSchema> {
  const dialect = new PgDialect({ casing: config.casing })
  let logger: Logger | undefined
  if (config.logger === true) logger = new DefaultLogger()
  else if (config.logger !== false) logger = config.logger
  let schema: RelationalSchemaConfig<TablesRelationalConfig> | undefined
  if (config.schema) {
    const tables = extractTablesRelationalConfig(config.schema, createTableRelationsHelpers)
    schema = { fullSchema: config.schema, schema: tables.tables, tableNamesMap: tables.tableNamesMap }
  }
  const session = new SkiffSession(client, client, dialect, schema, { logger })
  const db = new SkiffDatabase<TSchema>(dialect, session as never, schema as never)
  db.$client = client
  db.$config = config
  return db
}
