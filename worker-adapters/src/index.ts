/**
 * Skiff edge adapters (Cloudflare Workers, Vercel Edge). The adapters that route queries through a
 * gateway arrive with the edge endpoints; this entry answers a health route so `wrangler dev` runs.
 * @module
 */

/** A minimal Workers-style fetch handler. */
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (url.pathname === '/health') return Response.json({ ok: true, service: 'skiff-edge' })
    return Response.json(
      { error: 'not found: the Skiff edge adapter serves only /health so far' },
      { status: 404 },
    )
  },
}
