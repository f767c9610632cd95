/**
 * The classification of each statement shape, remembered (issue 19): `ShapeCache.classify` reads a
 * text's shape (statement-shape.ts) and, when the shape is known, returns what was decided for it
 * without classifying again; on a miss it runs `classifyStatement` and, for a read, a full parser as
 * a second opinion (second-opinion.ts), and keeps the result in a bounded LRU.
 *
 * What a hit may reuse: every `StatementInfo` field the classifier derives from token types and words
 * alone, which the shape keeps (kind, kinds, statementCount, transactionControl, readOnly, chain,
 * firstKeyword, unterminated). Two fields come from text the shape folds:
 * - `leadingComments`: the shape notes where the leading comments are, and a hit decodes them from
 *   the text (allocating only when there are some);
 * - `parameter` (the first SET / RESET / SHOW, with the SET's value): a hit on a shape with such a
 *   statement runs the whole classifier again (`reclassified`); these are rare and cheap to classify.
 *
 * The second opinion only ever turns reads into writes (a disagreement: the shape then routes to the
 * primary); if it cannot parse the text, the tokenizer's decision stands. It is asked only when the
 * tokenizer says `read` (nothing else can change), only for texts up to `maxSecondOpinionBytes`
 * (pgsql-ast-parser takes 0.5–1.5 ms for a short SELECT, and more for longer texts), and only
 * with standard_conforming_strings on, the only way it reads strings. It is also rationed: a budget
 * of `secondOpinionBurst` parses, refilled by one every `secondOpinionEvery` classifications, so a
 * workload whose every query is a new shape (IN lists of every length, generated names) pays the
 * parser on at most one call in `secondOpinionEvery` rather than on each. A read learned while the
 * budget is spent keeps the tokenizer's decision and is marked unchecked; a later hit on it asks the
 * second opinion once the budget allows, so the shapes that recur get checked first.
 *
 * A shape is found by a 53-bit key made of its two hashes, and the entry holds the rest of both hashes
 * plus the shape's length and token count, checked on each hit: a false hit needs two different token
 * streams to agree on 64 bits of two independent hashes and on their lengths. Keeping the folded text
 * to compare instead would mean building a string on every call, which costs more than the lookup.
 * @module
 */
import { classifyStatement } from './classify.js'
import { decodeUtf8 } from './identifier.js'
import { Lru } from './lru.js'
import { astWrites, type SecondOpinion, withWrites } from './second-opinion.js'
import { NO_COMMENTS, type StatementInfo } from './statement-info.js'
import { StatementShape } from './statement-shape.js'

/** How a {@link ShapeCache} is sized and which second opinion it asks. */
export interface ShapeCacheOptions {
  /** The most shapes kept; default 10,000 (an entry takes about 270 bytes of heap, measured). */
  readonly maxShapes?: number
  /** The longest text, in bytes, shown to the second opinion; default 10,240. Longer: the tokenizer decides. */
  readonly maxSecondOpinionBytes?: number
  /** Asked on a miss whose text the tokenizer calls a read; default pgsql-ast-parser; null: none. */
  readonly secondOpinion?: SecondOpinion | null
  /** Second opinions that may be asked back to back; default 1,000 (about a second of CPU). */
  readonly secondOpinionBurst?: number
  /** Classifications that earn one more second opinion, up to the burst; default 1,000. */
  readonly secondOpinionEvery?: number
}

/** What a cache has done since it was made (for SHOW and metrics). */
export interface ShapeCacheCounters {
  hits: number
  misses: number
  /** Hits on a shape with SET / RESET / SHOW, classified again for the parameter's text. */
  reclassified: number
  /** Second opinions asked (each a full parse). */
  asked: number
  /** Second opinions that turned the tokenizer's read into a write. */
  disagreements: number
  /** Second opinions that could not parse the text (the tokenizer's decision stood). */
  unparsed: number
  /** Reads not shown to the second opinion: too long, or standard_conforming_strings off. */
  notAsked: number
  /** Reads learned unchecked because the second opinions' budget was spent (asked on a later hit). */
  deferred: number
  /** Misses whose key was taken by another shape (the hashes' low bits agreed); the entry is replaced. */
  collisions: number
}

/** What is kept per shape. */
interface ShapeEntry {
  /** The rest of the shape, checked on each hit (see the module's comment). */
  readonly hash2: number
  readonly length: number
  readonly tokens: number
  /**
   * The classification with no leading comments, handed out as is. Not frozen: `Object.freeze` cost
   * about 1 µs a miss, and `StatementInfo`'s fields are readonly to TypeScript already.
   */
  readonly info: StatementInfo
  /** A SET / RESET / SHOW is in it: `parameter` must be read from each text. */
  readonly reclassify: boolean
  /** A read the second opinion has not seen yet, for want of budget. */
  readonly unchecked: boolean
}

/** A bounded map from statement shapes to their classification. */
export class ShapeCache {
  readonly counters: ShapeCacheCounters = {
    hits: 0,
    misses: 0,
    reclassified: 0,
    asked: 0,
    disagreements: 0,
    unparsed: 0,
    notAsked: 0,
    deferred: 0,
    collisions: 0,
  }
  /**
   * The shape of the text classified last, with its literals' offsets into that text: valid until the
   * next call (a caller that knows where a shape's sharding key is reads it from here).
   */
  readonly shape = new StatementShape()
  private readonly entries: Lru<number, ShapeEntry>
  private readonly maxSecondOpinionBytes: number
  private readonly secondOpinion: SecondOpinion | null
  /** Second opinions that may be asked now (fractional: each classification adds `refill`). */
  private budget: number
  private readonly burst: number
  private readonly refill: number

  constructor(options: ShapeCacheOptions = {}) {
    this.entries = new Lru(options.maxShapes ?? 10_000)
    this.maxSecondOpinionBytes = options.maxSecondOpinionBytes ?? 10_240
    this.secondOpinion = options.secondOpinion === undefined ? astWrites : options.secondOpinion
    this.burst = this.budget = options.secondOpinionBurst ?? 1000
    this.refill = 1 / (options.secondOpinionEvery ?? 1000)
  }

  /** Shapes kept now. */
  get size(): number {
    return this.entries.size
  }

  /** Shapes dropped to make room. */
  get evictions(): number {
    return this.entries.evictions
  }

  /**
   * `classifyStatement(buf, start, end, standardConformingStrings)`, from the cache when the text's
   * shape is known. Treat the result as read-only: a hit hands the same object to every caller.
   * @example cache.classify(body, 0, body.length).kind // 'read' for `select 1`, classified once
   */
  classify(buf: Uint8Array, start: number, end: number, standardConformingStrings = true): StatementInfo {
    if (this.budget < this.burst) this.budget += this.refill
    const shape = this.shape.read(buf, start, end, standardConformingStrings)
    const entry = this.entries.get(shape.key)
    if (entry === undefined || !shape.sameAs(entry)) {
      this.counters.misses++
      if (entry !== undefined) this.counters.collisions++
      return this.learn(buf, start, end, standardConformingStrings)
    }
    this.counters.hits++
    if (entry.unchecked && this.budget >= 1) return this.learn(buf, start, end, standardConformingStrings)
    if (entry.reclassify) {
      // The parameter's name and value come from this text; the kinds stay the entry's, which the
      // second opinion may have made writes.
      this.counters.reclassified++
      const fresh = classifyStatement(buf, start, end, standardConformingStrings)
      return { ...entry.info, parameter: fresh.parameter, leadingComments: fresh.leadingComments }
    }
    return shape.commentCount === 0 ? entry.info : withComments(entry.info, shape, buf)
  }

  /** Forgets every shape (the counters stay). */
  clear(): void {
    this.entries.clear()
  }

  /** Classifies the text whose shape was just read, and keeps the result for its shape. */
  private learn(buf: Uint8Array, start: number, end: number, scs: boolean): StatementInfo {
    const tokenizer = classifyStatement(buf, start, end, scs)
    const info = this.checked(tokenizer, buf, start, end, scs)
    const shape = this.shape
    this.entries.set(shape.key, {
      hash2: shape.hash2,
      length: shape.length,
      tokens: shape.tokens,
      info: { ...(info ?? tokenizer), leadingComments: NO_COMMENTS },
      reclassify: tokenizer.parameter !== undefined,
      unchecked: info === undefined,
    })
    return info ?? tokenizer
  }

  /**
   * The tokenizer's classification `info`, made a write where the second opinion finds one;
   * undefined if it needed the second opinion and the budget was spent.
   */
  private checked(
    info: StatementInfo,
    buf: Uint8Array,
    start: number,
    end: number,
    scs: boolean,
  ): StatementInfo | undefined {
    if (info.kind !== 'read' || this.secondOpinion === null || info.unterminated) return info
    if (end > start && buf[end - 1] === 0) end--
    if (end - start > this.maxSecondOpinionBytes || !scs) {
      this.counters.notAsked++
      return info
    }
    if (this.budget < 1) {
      this.counters.deferred++
      return undefined
    }
    this.budget--
    this.counters.asked++
    const writes = this.secondOpinion(decodeUtf8(buf, start, end))
    if (writes === undefined) {
      this.counters.unparsed++
      return info
    }
    const upgraded = withWrites(info, writes)
    if (upgraded !== info) this.counters.disagreements++
    return upgraded
  }
}

/** A cached classification with this text's leading comments. */
function withComments(info: StatementInfo, shape: StatementShape, buf: Uint8Array): StatementInfo {
  const comments: string[] = []
  for (let i = 0; i < shape.commentCount; i++) {
    comments.push(decodeUtf8(buf, shape.comments[2 * i]!, shape.comments[2 * i + 1]!))
  }
  return { ...info, leadingComments: comments }
}

/** The cache {@link classifyCached} uses: 10,000 shapes, pgsql-ast-parser as the second opinion. */
export const defaultShapeCache: ShapeCache = new ShapeCache()

/**
 * {@link classifyStatement} through {@link defaultShapeCache}: the same result, without classifying
 * again a text whose shape was seen.
 * @example classifyCached(body, 0, body.length).kind
 */
export function classifyCached(
  buf: Uint8Array,
  start: number,
  end: number,
  standardConformingStrings = true,
): StatementInfo {
  return defaultShapeCache.classify(buf, start, end, standardConformingStrings)
}
