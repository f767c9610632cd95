/**
 * The four targets of the conformance suite: node-postgres straight to the topology's primary, and
 * Skiff through each front (node-postgres over TCP, Neon's Client over WebSocket, `neon()` over HTTP).
 * Every target logs in as the same user, so permissions, ownership and defaults are the same.
 * @module
 */
import { Client as NeonClient, neonConfig } from '@neondatabase/serverless'
import pg from 'pg'
import ws from 'ws'
import { serializeCancelRequest } from '../../gateway/src/protocol/frontend.js'
import type { TestGateway } from '../helpers/gateway.js'
import { RawSocket } from '../helpers/raw-socket.js'
import { topology } from '../helpers/topology.js'
import { httpConn } from './http-conn.js'
import { type PgLikeClient, pgConn, type SendCancel } from './pg-conn.js'
import type { ConformanceTarget } from './target.js'
import { openWebSocket, WS_PATH } from './ws-stream.js'

/** A pool mode, and the gateway serving it (started by the suite's `before`, so looked up late). */
export interface GatewayChoice {
  mode: 'session' | 'transaction'
  gateway(): TestGateway
}

/** The scram user's connection string to `port` on loopback. */
function url(port: number): string {
  const { users, database } = topology()
  return `postgres://${users.scram.username}:${encodeURIComponent(users.scram.password)}@127.0.0.1:${port}/${database}`
}

/**
 * Points Neon's driver at whatever host and port a connection string names, so one process can talk
 * to two gateways (one per pool mode) with no global setting changed between cases. Skiff never dials
 * the host in the string; it only reads the user, password and database.
 */
export function routeNeonByConnectionString(): void {
  neonConfig.webSocketConstructor = ws
  neonConfig.useSecureWebSocket = false
  neonConfig.wsProxy = (host, port) => `${host}:${port}${WS_PATH}`
  neonConfig.fetchEndpoint = (host, port) => `http://${host}:${port}/sql`
}

/** Sends a CancelRequest on a fresh raw connection and waits for the server to close it. */
function cancelOver(open: () => Promise<RawSocket>): SendCancel {
  return async (processId, secretKey) => {
    const socket = await open()
    try {
      socket.write(serializeCancelRequest(processId, secretKey))
      await socket.until(() => socket.closed)
    } finally {
      socket.destroy()
    }
  }
}

/** node-postgres straight to the primary: the reference every other target is compared with. */
export function directTarget(): ConformanceTarget {
  return {
    name: 'direct',
    unsupported: {},
    connect: () => {
      const port = topology().primary.port
      return pgConn(
        new pg.Client(url(port)),
        cancelOver(() => RawSocket.connect(port)),
      )
    },
  }
}

/** node-postgres through Skiff's Postgres port. */
export function tcpTarget(choice: GatewayChoice): ConformanceTarget {
  return {
    name: `tcp (${choice.mode} mode)`,
    unsupported: {},
    connect: () => {
      const port = choice.gateway().port
      return pgConn(
        new pg.Client(url(port)),
        cancelOver(() => RawSocket.connect(port)),
      )
    },
  }
}

/**
 * Neon's Client through Skiff's WebSocket endpoint, with the driver's default pipelined login. Its
 * CancelRequest goes over a WebSocket of its own, as the driver's `cancel()` sends one.
 */
export function websocketTarget(choice: GatewayChoice): ConformanceTarget {
  return {
    name: `websocket (${choice.mode} mode)`,
    unsupported: {
      // The bytes Skiff sends in binary format are compared with Postgres's by the protocol-diff
      // sequences over WebSocket (protocol-diff-websocket.test.ts); only this driver cannot read them.
      binary:
        "Neon's Client bundles node-postgres 8.8, which hands binary cells to pg-types as strings " +
        "('r.readInt32BE is not a function'; node-postgres 8.23 makes them Buffers first)",
    },
    connect: () => {
      routeNeonByConnectionString()
      const port = choice.gateway().httpPort
      const client = new NeonClient(url(port)) as unknown as PgLikeClient
      return pgConn(
        client,
        cancelOver(async () => RawSocket.fromStream(await openWebSocket(port))),
      )
    },
  }
}

/** `neon()` through Skiff's `POST /sql`: one request per query. */
export function httpTarget(choice: GatewayChoice): ConformanceTarget {
  return {
    name: `http (${choice.mode} mode)`,
    unsupported: {
      session: 'each /sql request is a client session of its own; only a batch shares one transaction',
      'multi-statement': '/sql runs each query string as one extended-protocol statement, as Neon does',
      binary: '/sql returns every cell as text',
      'named-statements': 'neon() has no statement names; /sql uses the unnamed statement',
      copy: 'refused by design (400, 0A000); the HTTP refusal test checks that instead',
      notice: 'a /sql response has no place for notices (as on Neon)',
      cancel: 'the /sql protocol has no cancel; Skiff cancels a request past request_timeout itself',
    },
    connect: async () => {
      routeNeonByConnectionString()
      return httpConn(url(choice.gateway().httpPort))
    },
  }
}
