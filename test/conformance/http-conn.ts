/**
 * A conformance "connection" over Skiff's `POST /sql` with `neon()` from `@neondatabase/serverless`:
 * one request per query (a fresh client session each), `sql.transaction([...])` for a batch. Only
 * cases that fit one request run here; the target lists what does not, and why.
 * @module
 */
import { neon } from '@neondatabase/serverless'
import { outcomeOf, type PgLikeResult } from './normalize.js'
import type { ConformanceConn, QuerySpec } from './target.js'

const notOverHttp = (what: string) => () => {
  throw new Error(`${what} is not offered over HTTP; the target should have skipped this case`)
}

/** A connection-like wrapper of `neon(connectionString)` with node-postgres-shaped full results. */
export function httpConn(connectionString: string): ConformanceConn {
  const sql = neon(connectionString, { fullResults: true })
  const query = (spec: QuerySpec | string) => {
    const { text, values = [], name, binary } = typeof spec === 'string' ? { text: spec } : spec
    if (name !== undefined || binary) notOverHttp('a named or binary query')()
    return outcomeOf(() => sql.query(text, values) as unknown as Promise<PgLikeResult>)
  }
  return {
    query,
    // One result per query, as the session targets' BEGIN … COMMIT gives (they leave out the results
    // of BEGIN and COMMIT, which /sql does not return).
    batch: (specs) =>
      outcomeOf(
        () =>
          sql.transaction(specs.map((s) => sql.query(s.text, s.values ?? []))) as unknown as Promise<
            PgLikeResult[]
          >,
      ),
    takeNotices: notOverHttp('NOTICE'),
    cancel: notOverHttp('cancel'),
    // Sent as an ordinary query: /sql refuses COPY before anything runs, and the refusal is the outcome.
    copyIn: (text) => query(text),
    copyOut: (text) => query(text),
    close: async () => {},
  }
}
