/**
 * The signature the shared classifier cases are written against: `classifySql` and
 * `classifyStatement` themselves, or the shape cache checked against them.
 * @module
 */
import type { StatementInfo } from '../statement-info.js'

/** A classifier of strings and of bytes in place, like classify.ts's pair. */
export interface Classifier {
  classifySql(text: string, standardConformingStrings?: boolean): StatementInfo
  classifyStatement(
    buf: Uint8Array,
    start: number,
    end: number,
    standardConformingStrings?: boolean,
  ): StatementInfo
}
