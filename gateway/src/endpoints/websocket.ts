/**
 * The WebSocket endpoint: binary frames carry Postgres wire bytes, one byte stream per socket, into the
 * same ClientSession as TCP (the `@neondatabase/serverless` Pool/Client contract). I/O only.
 * @see ../../../../shared/reference/neon-wire-contract.md §2
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { type WebSocket, WebSocketServer } from 'ws'
import type { HttpConfig } from '../config/schema.js'
import { GatewayError } from '../errors.js'
import type { WebSocketCounters } from '../metrics/front-counters.js'
import type { ClientContext, ClientTransport } from '../session/client-context.js'
import { ClientSession } from '../session/client-session.js'

/** Bytes queued on a socket before the session stops reading its server. */
const HIGH_WATER_MARK = 1 << 20
const BINARY = { binary: true }
/** Largest WebSocket message once logged in (a query or a COPY chunk per message). */
const MAX_PAYLOAD = 64 * 1024 * 1024
/**
 * Largest WebSocket message before authentication: a StartupMessage (at most 10,000 bytes) and a
 * password or SASL message (at most 65,535) fit many times over. ws refuses a longer message from its
 * frame header (close code 1009) before buffering it, so nobody can make the gateway hold 64 MiB
 * without a login. The limit rises the moment the client is authenticated, not at its ReadyForQuery.
 * The first frames of a connection are read as one batch (see firstFrames), so a query sent in the
 * same flight as the StartupMessage still meets the login limit (README, Differences from Postgres).
 */
const MAX_LOGIN_PAYLOAD = 256 * 1024

/**
 * Sets the message size limit of one WebSocket. ws takes `maxPayload` per server only; its receiver
 * reads the limit from `_maxPayload` on every frame, which this sets per socket (checked by
 * test/regressions/issue-16-logins.test.ts, so an upgrade of ws that renames it fails loudly).
 */
function setMaxPayload(ws: WebSocket, bytes: number): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver
  if (receiver !== undefined && typeof receiver._maxPayload === 'number') receiver._maxPayload = bytes
}

/** Accepts upgrades on any path (the driver uses /v2 by default, docs show /v1). */
export class WebSocketEndpoint {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD })
  private refusing = false

  constructor(
    private readonly context: ClientContext,
    private readonly policy: HttpConfig['websocket_pipelined_password'],
    /** Connections open and accepted, for the metrics. */
    private readonly counters?: WebSocketCounters,
  ) {
    this.wss.on('connection', (ws: WebSocket, req: IncomingMessage) => this.onConnection(ws, req))
  }

  /** Hands an HTTP upgrade request to ws. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.refusing) return void socket.destroy()
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req))
  }

  /** Shutdown: upgrades on connections still open are refused from now on. */
  refuseUpgrades(): void {
    this.refusing = true
  }

  /** Closes every WebSocket client. */
  close(): void {
    for (const ws of this.wss.clients) ws.terminate()
    this.wss.close()
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const address = req.socket.remoteAddress ?? ''
    const accept = this.policy === 'always' || (this.policy === 'loopback' && isLoopback(address))
    let session: ClientSession
    setMaxPayload(ws, MAX_LOGIN_PAYLOAD)
    const transport: ClientTransport = {
      onAuthenticated: () => setMaxPayload(ws, MAX_PAYLOAD),
      kind: 'websocket',
      pipelinedPassword: accept ? 'accept' : 'refuse',
      remoteAddress: `${address}:${req.socket.remotePort}`,
      write: (bytes) => {
        const full = ws.bufferedAmount + bytes.length >= HIGH_WATER_MARK
        ws.send(bytes, BINARY, full ? () => session.onTransportDrain() : undefined)
        return !full
      },
      end: (bytes) => {
        if (bytes !== undefined) ws.send(bytes, BINARY)
        ws.close(1000)
        setTimeout(() => ws.terminate(), 5000).unref() // a client that never answers the close
      },
    }
    session = new ClientSession(this.context, transport)
    const counters = this.counters
    if (counters !== undefined) {
      counters.opened++
      counters.open++
      ws.once('close', () => counters.open--)
    }
    ws.on(
      'message',
      firstFrames((data, isBinary) => onFrame(session, data, isBinary)),
    )
    ws.on('error', () => session.close('WebSocket error'))
    ws.on('close', () => session.close('client closed the WebSocket'))
  }
}

type FrameHandler = (data: Buffer, isBinary: boolean) => void

/**
 * Delivers the frames of the first read together: with `coalesceWrites: false` the driver's pipelined
 * StartupMessage and PasswordMessage are separate frames, and the session must see both to know the
 * password came unasked.
 */
function firstFrames(handle: FrameHandler): FrameHandler {
  let batch: Buffer[] | undefined = []
  return (data, isBinary) => {
    if (batch === undefined || !isBinary) return handle(data, isBinary)
    batch.push(data)
    if (batch.length > 1) return
    queueMicrotask(() => {
      const frames = batch!
      batch = undefined
      handle(frames.length === 1 ? frames[0]! : Buffer.concat(frames), true)
    })
  }
}

function onFrame(session: ClientSession, data: Buffer, isBinary: boolean): void {
  if (isBinary) return session.onData(data)
  session.fail(
    new GatewayError('PROTOCOL_VIOLATION', 'unexpected text message in the WebSocket', {
      severity: 'FATAL',
      hint: 'send Postgres protocol bytes in binary frames',
    }),
  )
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address
  return v4.startsWith('127.') || address === '::1'
}
