/**
 * The `[pools.<database>.shards.<index>]` tables: the servers that hold one shard.
 * TOML gives servers as `[host, port, role]` tuples; the parsed config has objects.
 */
import { z } from 'zod'
import { countSchema, later, portSchema, serverRoleSchema } from './schema-common.js'

const hostSchema = z.string().min(1)

/**
 * A fixed-length TOML array. The length is checked first so a short entry gets one clear
 * message instead of a complaint about its missing last element.
 */
function tupleOf<const T extends [z.ZodType, ...z.ZodType[]]>(items: T, example: string) {
  const error = `expected ${example}`
  return z.array(z.unknown(), { error }).length(items.length, { error }).pipe(z.tuple(items))
}

const SERVER_EXAMPLE =
  '[host, port, role] or [host, port, role, weight], e.g. ["127.0.0.1", 5432, "replica", 2]'

/**
 * A server: PgCat's `[host, port, role]`, with Skiff's optional fourth element, the server's weight
 * in load balancing (beyond PgCat: a replica of weight 2 gets twice the reads of one of weight 1; 0
 * takes reads only when no other candidate is left). Default 1.
 */
const serverTuple = z
  .array(z.unknown(), { error: `expected ${SERVER_EXAMPLE}` })
  .min(3, { error: `expected ${SERVER_EXAMPLE}` })
  .max(4, { error: `expected ${SERVER_EXAMPLE}` })
  .pipe(z.tuple([hostSchema, portSchema(), serverRoleSchema], countSchema()))
const mirrorTuple = tupleOf(
  [hostSchema, portSchema(), countSchema()],
  '[host, port, server_index], e.g. ["10.0.0.9", 5432, 0]',
)

/** Schema of one `[pools.<database>.shards.<index>]` table. */
export const shardSchema = z.object({
  servers: z
    .array(serverTuple)
    .transform((list) =>
      list.map(([host, port, role, weight]) => ({ host, port, role, weight: weight ?? 1 })),
    )
    .describe(
      'Servers holding this shard, each as [host, port, role] with role "primary" or "replica", and optionally a fourth element, the weight of the server in load balancing (Skiff\'s addition; default 1). At most one primary; a shard of replicas only serves reads. The same host and port may be listed once as primary and once as replica (it then also takes reads as a replica).',
    ),
  database: z.string().min(1).describe('Name of the database on the servers.'),
  mirrors: later(
    z
      .array(mirrorTuple)
      .transform((list) => list.map(([host, port, server_index]) => ({ host, port, server_index })))
      .optional(),
    'Experimental in PgCat. Servers that also receive the traffic sent to servers[server_index], each as [host, port, server_index]; their replies are dropped.',
  ),
})

/** Parsed shard table. */
export type ShardConfig = z.output<typeof shardSchema>
/** One entry of `servers`, after the tuple is turned into an object. */
export type ServerConfig = ShardConfig['servers'][number]
/** One entry of `mirrors`, after the tuple is turned into an object. */
export type MirrorConfig = NonNullable<ShardConfig['mirrors']>[number]
