/**
 * The HTTP listener: hono's routes on a Node server, plus WebSocket upgrades on any path. I/O only.
 * With a certificate it is an HTTPS server (and WebSockets are WSS): plain HTTP is not served then.
 * @module
 */
import type { Server } from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { createHttpApp, type HttpServices } from '../http/app.js'
import type { TlsIdentity } from './tls-context.js'
import { WebSocketEndpoint } from './websocket.js'

/** A listening HTTP/WebSocket endpoint. */
export interface HttpEndpoint {
  readonly port: number
  /**
   * Closes the listener and idle keep-alive connections, refuses WebSocket upgrades; requests and
   * WebSockets under way go on. Resolves once the last connection has closed.
   */
  stopAccepting(): Promise<void>
  /** Closes the listener and every connection. */
  close(): Promise<void>
}

/**
 * Listens on `[http]` host:port; resolves once bound. With `tls`, serves HTTPS and WSS only, and
 * takes up a reloaded certificate for the connections that follow.
 */
export function startHttpEndpoint(services: HttpServices, tls?: TlsIdentity): Promise<HttpEndpoint> {
  const { host, port } = services.http
  const app = createHttpApp(services)
  const server = createServer(app.fetch, tls)
  // Keep-alive callers (the benchmark, edge runtimes) reuse connections; Node's 5 s default is short.
  server.keepAliveTimeout = 65_000
  // A caller must send its whole request within this (Node's default is 5 minutes): slow or stalled
  // uploads must not hold sockets; the query's own limit, http.request_timeout, starts after it.
  server.requestTimeout = 60_000
  const ws = new WebSocketEndpoint(
    services.context,
    services.http.websocket_pipelined_password,
    services.metrics?.registry.websockets,
  )
  server.on('upgrade', (req, socket, head) => ws.upgrade(req, socket, head))
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      let closed: Promise<void> | undefined
      const stopAccepting = () => {
        if (closed !== undefined) return closed
        ws.refuseUpgrades()
        closed = new Promise<void>((done) => server.close(() => done()))
        server.closeIdleConnections()
        return closed
      }
      resolve({
        port: (server.address() as AddressInfo).port,
        stopAccepting,
        close: () => {
          const done = stopAccepting()
          ws.close()
          server.closeAllConnections()
          return done
        },
      })
    })
  })
}

/** A plain HTTP server, or an HTTPS one whose certificate follows `tls`'s reloads. */
function createServer(fetch: ReturnType<typeof createHttpApp>['fetch'], tls?: TlsIdentity): Server {
  if (tls === undefined) return createAdaptorServer({ fetch }) as Server
  const { cert, key } = tls.current
  const server = createAdaptorServer({
    fetch,
    createServer: https.createServer,
    serverOptions: { cert, key },
  })
  const secure = server as https.Server
  tls.onChange((material) => secure.setSecureContext({ cert: material.cert, key: material.key }))
  return server as Server
}
