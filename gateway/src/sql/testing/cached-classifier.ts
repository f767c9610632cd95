/**
 * A {@link Classifier} that answers through a {@link ShapeCache} and checks every answer against
 * `classifyStatement`: the text itself (a miss, then a hit) and a copy of it with every literal
 * replaced by another value (a hit, unless the shape changed), so the shared classifier cases prove
 * that a cached answer is the answer for each text of the shape.
 * @module
 */
import assert from 'node:assert/strict'
import { classifyStatement } from '../classify.js'
import { ShapeCache } from '../shape-cache.js'
import type { StatementInfo } from '../statement-info.js'
import type { StatementShape } from '../statement-shape.js'
import type { Classifier } from './classifier.js'

/** The text with each literal replaced: numbers by 7, strings by 'v' (spaced, so tokens keep apart). */
export function otherLiterals(buf: Uint8Array, start: number, end: number, shape: StatementShape): Buffer {
  const parts: Buffer[] = []
  let at = start
  for (let i = 0; i < shape.literalCount; i++) {
    const from = shape.literalStart(i)
    const isNumber = buf[from]! >= 0x30 && buf[from]! <= 0x39
    parts.push(Buffer.from(buf.subarray(at, from)), Buffer.from(isNumber ? ' 7 ' : " 'v' "))
    at = shape.literalEnd(i)
  }
  parts.push(Buffer.from(buf.subarray(at, end)))
  return Buffer.concat(parts)
}

/** Classifies through `cache`, asserting that each answer equals `classifyStatement`'s. */
export function cachedClassifier(cache = new ShapeCache({ secondOpinion: null })): Classifier {
  const check = (buf: Uint8Array, start: number, end: number, scs = true): StatementInfo => {
    const text = Buffer.from(buf.subarray(start, end)).toString()
    const direct = classifyStatement(buf, start, end, scs)
    assert.deepEqual(cache.classify(buf, start, end, scs), direct, `miss: ${text}`)
    const other = otherLiterals(buf, start, end, cache.shape)
    assert.deepEqual(cache.classify(buf, start, end, scs), direct, `hit: ${text}`)
    const variant = classifyStatement(other, 0, other.length, scs)
    assert.deepEqual(cache.classify(other, 0, other.length, scs), variant, `other literals: ${other}`)
    return cache.classify(buf, start, end, scs)
  }
  return {
    classifyStatement: check,
    classifySql: (text, scs) => {
      const buf = Buffer.from(text)
      return check(buf, 0, buf.length, scs)
    },
  }
}
