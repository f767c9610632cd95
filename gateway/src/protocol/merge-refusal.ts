/**
 * The row type of the cross-shard combiner and the error it raises when a plan cannot be carried out
 * on the result's column types (known only from the RowDescription): the client gets it as 0A000.
 * @module
 */

/** One row of a text-format result: each column's bytes, NULL as null. */
export type Row = (Buffer | null)[]

/** The merge cannot be done on these column types; the message goes to the client. */
export class MergeRefusal extends Error {
  override readonly name = 'MergeRefusal'
}

/** Throws a {@link MergeRefusal} for a reason string, returns anything else. */
export function must<T>(made: T | string): T {
  if (typeof made === 'string') throw new MergeRefusal(made)
  return made
}
