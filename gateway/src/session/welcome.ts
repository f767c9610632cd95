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

/**
 * Builds the welcome: `authBytes` (a SASLFinal, if any), AuthenticationOk, ParameterStatus of every
 * reported value the client starts with, BackendKeyData and ReadyForQuery, in one buffer for one write.
 */
export function buildWelcome(
  params: ReadonlyMap<string, string>,
  key: { processId: number; secretKey: number },
  authBytes?: Buffer,
): Buffer {
  const head = welcomeHead(params)
  const keyData = serializeBackendKeyData(key.processId, key.secretKey)
  return Buffer.concat(
    authBytes === undefined ? [head, keyData, READY_IDLE] : [authBytes, head, keyData, READY_IDLE],
  )
}

/**
 * AuthenticationOk and the ParameterStatus messages, cached by content: clients of one pool mostly
 * share them, and building ~15 messages per login shows up when clients connect for every transaction.
 */
const welcomeCache = new Map<string, Buffer>()

function welcomeHead(params: ReadonlyMap<string, string>): Buffer {
  let key = ''
  for (const [name, value] of params) key += `${name}\0${value}\0` // names and values hold no NUL
  let head = welcomeCache.get(key)
  if (head === undefined) {
    const parts = [serializeAuthenticationOk()]
    for (const [name, value] of params) parts.push(serializeParameterStatus(name, value))
    head = Buffer.concat(parts)
    if (welcomeCache.size >= 64) welcomeCache.clear()
    welcomeCache.set(key, head)
  }
  return head
}
