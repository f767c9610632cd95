/**
 * A todo API on Cloudflare Workers: drizzle-orm's neon-http driver sends its queries through the
 * Skiff edge handler in-process (`fromEnv(env).fetch`), so reads are cached at the edge and a write
 * invalidates the `todos` entries at once.
 *
 *   GET  /todos          list (cached; `Skiff-Cache: HIT` on repeats)
 *   POST /todos {title}  add one (invalidates the cached list)
 */
import { neon, neonConfig } from '@neondatabase/serverless'
import { type EdgeClient, fromEnv, type SkiffEnv } from '@skiff/worker-adapters/cloudflare'
import { asc } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/neon-http'
import { todos } from './schema.js'

/** One client per isolate: it holds the invalidations and the table versions it has seen. */
let skiff: EdgeClient | undefined

function database(env: SkiffEnv) {
  skiff ??= fromEnv(env)
  // Every neon() HTTP request goes to the edge handler instead of the network; the host in the
  // connection string is never dialled.
  neonConfig.fetchFunction = skiff.fetch
  return drizzle(neon(skiff.connectionString()))
}

export default {
  async fetch(request: Request, env: SkiffEnv): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname !== '/todos') return new Response('not found', { status: 404 })
    const db = database(env)
    if (request.method === 'POST') {
      const { title } = (await request.json()) as { title: string }
      const [todo] = await db.insert(todos).values({ title }).returning()
      return Response.json(todo, { status: 201 })
    }
    return Response.json(await db.select().from(todos).orderBy(asc(todos.id)))
  },
}
