/**
 * The error the cross-shard planner's steps throw for a construct they cannot plan; the planner turns
 * it into a `refuse` plan whose message names the construct.
 * @module
 */

/** The statement cannot be planned; `message` names the construct ("window functions"). */
export class Refusal extends Error {
  override readonly name = 'Refusal'
}
