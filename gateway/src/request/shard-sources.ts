/**
 * What a request's statement says about its shard (router/shard-target.ts decides from it): the
 * comment regexes' captures and the values of the automatic sharding key. Read only for pools of
 * several shards, and only the sources the pool configures.
 *
 * The automatic key costs one lexer pass per statement: the statement's shape (sql/statement-shape.ts)
 * finds, in a cache, where the key is in statements of that shape (its k-th literal, or parameter
 * `$n`); only those bytes are read from each text, or the Bind's parameter. A full parse runs only
 * on the first statement of a shape (sql/sharding-key.ts).
 * @module
 */
import type { PoolSharding } from '../pool/pool-sharding.js'
import { readBindParams } from '../protocol/bind-params.js'
import type { StatementShardSources } from '../router/shard-target.js'
import { type BindParams, KeyLocatorCache, readShardingKeys, StatementShape } from '../sql/index.js'

/** Where a request's statement text is, and the Bind that carries its parameters, if any. */
export interface StatementBytes {
  readonly buf: Buffer
  readonly start: number
  readonly end: number
  /** The first Bind of the request's batch (or the request itself when it is a Bind). */
  readonly bind?: { readonly buf: Buffer; readonly start: number; readonly end: number }
  /** The statement's parameter types from its Parse (0 where unspecified). */
  readonly paramTypes?: readonly number[]
}

/** Shapes whose key position is remembered, gateway-wide (a locator is a few numbers). */
const locators = new KeyLocatorCache()

/** Reads a request's shard sources; one per session, reused. */
export class ShardSourceReader {
  private readonly shape = new StatementShape()

  /** The sources `sharding` configures, read from `text`; undefined when none is configured. */
  read(sharding: PoolSharding, text: StatementBytes): StatementShardSources | undefined {
    const { keyRegex, shardIdRegex, automaticKey } = sharding
    if (keyRegex === undefined && shardIdRegex === undefined && automaticKey === undefined) return undefined
    const sources: { -readonly [K in keyof StatementShardSources]: StatementShardSources[K] } = {}
    if (automaticKey !== undefined) this.readKeys(text, automaticKey, sources)
    if (keyRegex !== undefined || shardIdRegex !== undefined) {
      const head = text.buf.toString(
        'utf8',
        text.start,
        Math.min(text.end, text.start + 4 * sharding.regexSearchLimit),
      )
      const searched =
        head.length > sharding.regexSearchLimit ? head.slice(0, sharding.regexSearchLimit) : head
      const id = shardIdRegex?.exec(searched)?.[1]
      if (id !== undefined) sources.shardId = id
      const key = keyRegex?.exec(searched)?.[1]
      if (key !== undefined) sources.commentKey = key
    }
    return sources
  }

  private readKeys(
    text: StatementBytes,
    key: NonNullable<PoolSharding['automaticKey']>,
    sources: { -readonly [K in keyof StatementShardSources]: StatementShardSources[K] },
  ): void {
    const shape = this.shape.read(text.buf, text.start, text.end)
    const locator = locators.locate(text.buf, text.start, text.end, shape, key)
    if (locator.kind === 'none') return
    if (locator.kind === 'error') {
      sources.keyError = { message: locator.message, hint: locator.hint }
      return
    }
    const keys = readShardingKeys(locator, text.buf, shape, bindParams(text))
    if (Array.isArray(keys)) sources.keys = keys
    else sources.keyError = { message: keys.message, hint: keys.hint, badValue: true }
  }
}

/** The Bind's values with the Parse's types; undefined without a Bind or for a malformed one (the server refuses it). */
function bindParams(text: StatementBytes): BindParams | undefined {
  const bind = text.bind
  if (bind === undefined) return undefined
  try {
    return { ...readBindParams(bind.buf, bind.start, bind.end), types: text.paramTypes }
  } catch {
    return undefined
  }
}
