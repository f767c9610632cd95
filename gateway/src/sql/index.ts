/**
 * What a request's SQL does, for the router (issue 17): transaction control, what it may answer itself
 * (SET / SHOW), reads a hot standby can serve, writes that need the primary, and the tables named. It
 * reads the bytes once with a tokenizer that follows Postgres's scanner (scan.l), never a full parser
 * per query, and allocates nothing per token. Pure: no imports from the rest of the gateway, no I/O.
 *
 * `classifyStatement(buf, start, end)` reads a Query's text or a Parse's statement in place (NUL or
 * not; `classifySql(text)` for strings) and returns a `StatementInfo`, about 0.5 µs of CPU for
 * pgbench's SELECT (infra/bench/sql-classify-bench.ts). `statementTables(buf, start, end)` /
 * `sqlTables(text)` list the relations in a second pass, only when asked, so a `StatementInfo` holds
 * no reference to the caller's buffer and may be kept, say with a prepared statement.
 *
 * `classifyCached(buf, start, end)` gives the same `StatementInfo` through `defaultShapeCache`, a
 * `ShapeCache` (issue 19): it reads the text's shape (`StatementShape`: literals, whitespace, comments
 * and keyword case folded, two 32-bit hashes, in one lexer pass) and answers a known shape from a
 * bounded LRU (`Lru`, 10,000 shapes by default); on a miss it classifies, and asks a full parser
 * (`astWrites`, pgsql-ast-parser, rationed and capped at 10 kB of text) for a second opinion on a read,
 * which may only make it a write. A hit costs about what classifying costs (0.7–1.0× for pgbench's
 * statements, 1.2× for a SET, whose value is read again; the shape pass is a lexer pass too); a miss
 * adds about 1 µs, and a read's miss about 0.5 ms for the parse. What the cache buys is the parser's
 * check once per shape, and a place for facts per shape: after `cache.classify`, `cache.shape` holds
 * the offsets of the text's literals, so a sharding key known to be the k-th literal is read alone.
 * `counters` count hits, misses, second opinions asked and their disagreements.
 *
 * `parseListenCommand(buf, start, end)` / `parseListenSql(text)` recognize a Query that is exactly one
 * LISTEN or UNLISTEN and name its channel as Postgres does (folded, unescaped, cut to 63 bytes), so
 * the gateway can answer it over its pool's notification listener (listen-command.ts).
 *
 * `parseRoutingCommand(buf, start, end)` / `parseRoutingSql(text)` recognize a Query that is exactly
 * one of PgCat's routing commands (`SET SERVER ROLE TO 'primary'`, `SHOW SERVER ROLE`, `SET PRIMARY
 * READS TO on`, `SHOW PRIMARY READS`, `SET SHARD TO '1'`, `SET SHARDING KEY TO 42`, `SHOW SHARD`), with
 * a value PgCat would not take reported as `invalid` (routing-command.ts), so the gateway can answer them.
 *
 * Kinds by first word (`StatementKind` says what each means to a router):
 *
 * | first words                                  | kind      | unless                                   |
 * | -------------------------------------------- | --------- | ---------------------------------------- |
 * | SELECT, VALUES, TABLE, WITH, `(select …)`    | read      | FOR UPDATE / NO KEY UPDATE / SHARE / KEY |
 * |                                              |           | SHARE (any depth), SELECT … INTO, a      |
 * |                                              |           | data-modifying WITH query or main        |
 * |                                              |           | statement, a call of nextval, setval,    |
 * |                                              |           | pg_advisory_*lock*, pg_notify,           |
 * |                                              |           | txid_current, pg_current_xact_id or a    |
 * |                                              |           | large-object writer (its name quoted or  |
 * |                                              |           | not): write                              |
 * | EXPLAIN                                      | read      | ANALYZE of anything but a read: write    |
 * | COPY … TO, COPY (query) TO                   | read      | COPY … FROM, a writing query: write      |
 * | SHOW                                         | show      |                                          |
 * | SET, RESET (LOCAL, SESSION, TRANSACTION, …)  | set       |                                          |
 * | BEGIN, START TRANSACTION                     | begin     | (readOnly: READ ONLY / READ WRITE)       |
 * | COMMIT, END                                  | commit    | COMMIT PREPARED: write (chain: AND CHAIN)|
 * | PREPARE TRANSACTION 'gid'                    | commit    | (ends the session's transaction block)   |
 * | ROLLBACK, ABORT                              | rollback  | ROLLBACK … TO: savepoint; ROLLBACK       |
 * |                                              |           | PREPARED: write                          |
 * | SAVEPOINT, RELEASE                           | savepoint |                                          |
 * | INSERT, UPDATE, DELETE, MERGE, CREATE,       | write     |                                          |
 * | ALTER, DROP, TRUNCATE, GRANT, REVOKE,        |           |                                          |
 * | COMMENT, SECURITY LABEL, CALL, DO, LOCK,     |           |                                          |
 * | VACUUM, ANALYZE, CLUSTER, REINDEX, REFRESH,  |           |                                          |
 * | IMPORT, REASSIGN, CHECKPOINT, NOTIFY, LISTEN |           |                                          |
 * | PREPARE name, EXECUTE, DEALLOCATE, DECLARE,  | other     |                                          |
 * | FETCH, MOVE, CLOSE, DISCARD, UNLISTEN, LOAD, |           |                                          |
 * | anything else                                |           |                                          |
 *
 * Why: `read` is exactly what may go to a replica, so every doubt goes the other way. Every statement
 * a hot standby refuses with 25006 (read-only transaction) is a `write`; the writes a standby would
 * run lean to the primary on purpose: CALL and DO run code that may write, LOCK in its weakest mode
 * and CHECKPOINT do nothing useful there, and advisory locks coordinate only on the primary
 * (`postgres-diff.test.ts` checks both directions against a real standby). COMMIT / ROLLBACK
 * PREPARED run outside any transaction block and change the primary. `other` is what is bound to the
 * session's server (prepared statements, cursors) or unknown: no reason to split, it runs where the
 * session runs. Several statements in one Query combine (see `combineKinds`): a write anywhere makes
 * the whole a write; `transactionControl` and `kinds` tell whether and where they open or end a
 * transaction. `readOnly: false` (and SERIALIZABLE) transactions cannot run on a standby either.
 *
 * Compared with PgCat's query router (sqlparser AST, `query_parser_read_write_splitting`): PgCat sends
 * BEGIN (and so the whole transaction) to the primary; here BEGIN is reported with its access mode and
 * the router chooses. PgCat sends a Query statement (SELECT, VALUES, WITH) to a replica unless it has
 * row locks or a data-modifying CTE, anything else and anything it cannot parse to the primary, and a
 * multi-statement request with a write to the primary: the same here, plus SELECT … INTO and the
 * primary functions above as writes (PgCat sends them to a replica, where they fail), EXPLAIN, COPY …
 * TO and SHOW as replica-safe (PgCat: primary), and SET / SHOW parsed for the router's own commands
 * (PgCat matches `SET SHARD TO …` with regexes on the whole text). PgCat finds sharding comments with
 * regexes over the first `regex_search_limit` characters, string literals included;
 * `leadingComments` holds only real comments before the first keyword.
 *
 * Limits: a user-defined function that writes, called from a SELECT, looks like a read (as in
 * PgCat; the standby refuses it with 25006), and so does a primary function named in `U&"…"` form
 * (the shape cache's second opinion catches that one, and whatever else pgsql-ast-parser sees). A column named like a DML word right after a
 * parenthesis, or `for key` inside `substring`, reads as a write (safe). Pass the session's
 * standard_conforming_strings when it is off.
 * @see https://www.postgresql.org/docs/current/hot-standby.html#HOT-STANDBY-USERS
 * @module
 */

export type { CacheFacts } from './cache-facts.js'
export { cacheFacts, combineCacheFacts, qualifiedTable, sqlCacheFacts } from './cache-facts.js'
export { classifySql, classifyStatement } from './classify.js'
export type { CrossShardPlan } from './cross-shard-plan.js'
export { planCrossShardRead } from './cross-shard-plan.js'
export type { KeyLocatorCacheOptions } from './key-locator-cache.js'
export { KeyLocatorCache } from './key-locator-cache.js'
export type { ChannelCommand, ListenCommand } from './listen-command.js'
export { parseListenCommand, parseListenSql, truncationNotice } from './listen-command.js'
export type {
  InvalidRoutingValue,
  PrimaryReads,
  RoutingCommand,
  RoutingSetKind,
  ServerRole,
} from './routing-command.js'
export {
  invalidRoutingValueMessage,
  parseRoutingCommand,
  parseRoutingSql,
  ROUTING_VALUES,
} from './routing-command.js'
export type { SecondOpinion } from './second-opinion.js'
export { astWrites, loadSecondOpinion } from './second-opinion.js'
export type { ShapeCacheCounters, ShapeCacheOptions } from './shape-cache.js'
export { classifyCached, defaultShapeCache, ShapeCache } from './shape-cache.js'
export type { AstParse, KeyLocator, KeyRef, KeysLocator, ShardingKeyColumn } from './sharding-key.js'
export { locateShardingKey } from './sharding-key.js'
export type { BindParams, KeyValueError } from './sharding-key-read.js'
export { int8In, readShardingKeys } from './sharding-key-read.js'
export type { ParameterCommand, StatementInfo, StatementKind } from './statement-info.js'
export { combineKinds, isTransactionControl } from './statement-info.js'
export { StatementShape } from './statement-shape.js'
export { sqlTables, statementTables } from './tables.js'
export { isVolatileFunction, VOLATILE_FUNCTIONS } from './volatile-functions.js'
export { WriteTargetCache } from './write-targets.js'
export { mayWriteTables } from './write-words.js'
