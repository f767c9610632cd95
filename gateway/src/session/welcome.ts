/**
 * The welcome a client gets once logged in: what Postgres sends between AuthenticationOk and the first
 * ReadyForQuery (ParameterStatus for every reported parameter, BackendKeyData).
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
 * @module
 */
import {
  serializeAuthenticationOk,
  serializeBackendKeyData,
  serializeParameterStatus,
  serializeReadyForQuery,
} from '../protocol/backend.js'
import { TxnStatus } from '../protocol/codes.js'

const READY_IDLE = serializeReadyForQuery(TxnStatus.Idle)

/** The client's parameter values (the server's, then its own startup values) and the bytes to send. */
export interface Welcome {
  params: Map<string, string>
  bytes: Buffer
}

/**
 * Builds the welcome: `authBytes` (a SASLFinal, if any), AuthenticationOk, ParameterStatus of the
 * server's parameters overlaid with the client's startup values, BackendKeyData and ReadyForQuery, in
 * one buffer for one write.
 */
export function buildWelcome(
  serverParams: Map<string, string>,
  startupParams: Map<string, string>,
  key: { processId: number; secretKey: number },
  authBytes?: Buffer,
): Welcome {
  const params = new Map(serverParams)
  for (const [name, value] of startupParams) params.set(name, value)
  const head = welcomeHead(serverParams, startupParams, params)
  const keyData = serializeBackendKeyData(key.processId, key.secretKey)
  const parts = authBytes === undefined ? [head, keyData, READY_IDLE] : [authBytes, head, keyData, READY_IDLE]
  return { params, bytes: Buffer.concat(parts) }
}

/**
 * AuthenticationOk and the ParameterStatus messages, cached per server parameter set and startup
 * parameters: clients of one pool mostly share both, and building ~15 messages per login shows up
 * when clients connect for every transaction.
 */
const welcomeCache = new WeakMap<Map<string, string>, Map<string, Buffer>>()

function welcomeHead(
  serverParams: Map<string, string>,
  startup: Map<string, string>,
  params: Map<string, string>,
): Buffer {
  let byStartup = welcomeCache.get(serverParams)
  if (byStartup === undefined) {
    byStartup = new Map()
    welcomeCache.set(serverParams, byStartup)
  }
  let key = ''
  for (const [name, value] of startup) key += `${name}\0${value}\0` // names and values hold no NUL
  let head = byStartup.get(key)
  if (head === undefined) {
    const parts = [serializeAuthenticationOk()]
    for (const [name, value] of params) parts.push(serializeParameterStatus(name, value))
    head = Buffer.concat(parts)
    if (byStartup.size < 64) byStartup.set(key, head)
  }
  return head
}
