/**
 * Runs one corpus sequence on a fresh raw connection (to Postgres or to Skiff) and records every
 * backend message: the login replies and, separately, everything after the first ReadyForQuery.
 * @module
 */
import { serializeStartupMessage, serializeTerminate } from '../../gateway/src/protocol/frontend.js'
import { type RawMessage, RawSocket } from '../helpers/raw-socket.js'
import { topology } from '../helpers/topology.js'
import { type Sequence, sync } from './messages.js'

/** What one side answered. */
export interface Transcript {
  /** From AuthenticationOk to the first ReadyForQuery. */
  login: RawMessage[]
  /** Every message after the login, in order. */
  replies: RawMessage[]
}

/** Generous: a 1 MiB row through a loaded CI machine, but still fails fast on a hang. */
const STEP_TIMEOUT_MS = 15_000

/** Opens the raw connection a sequence runs on (TCP by default; a WebSocket for that front). */
export type Dial = () => Promise<RawSocket>

/** Logs in as the trust user (no password exchange, so both sides take the same path). */
async function login(
  port: number,
  dial: Dial,
  startup: Record<string, string> = {},
): Promise<{ socket: RawSocket; login: RawMessage[] }> {
  const socket = await dial()
  const t = topology()
  socket.write(serializeStartupMessage({ user: t.users.trust.username, database: t.database, ...startup }))
  await socket.until(() => socket.messages.some((m) => m.code === 'Z') || socket.closed, STEP_TIMEOUT_MS)
  const login = socket.messages.splice(0)
  if (login.at(-1)?.code !== 'Z') throw new Error(`login on port ${port} failed: ${codes(login)}`)
  return { socket, login }
}

const codes = (messages: RawMessage[]): string => messages.map((m) => m.code).join('')
const count = (s: RawSocket, code: string): number => s.messages.filter((m) => m.code === code).length

/**
 * Sends each step and waits for its replies, on a connection `dial` opens (`port` names it in errors).
 * A final lone Sync is answered by a ReadyForQuery that can only come after everything the sequence
 * caused, so a stray extra message would be caught.
 */
export async function runSequence(
  port: number,
  sequence: Sequence,
  dial: Dial = () => RawSocket.connect(port),
): Promise<Transcript> {
  const { socket, login: welcome } = await login(port, dial, sequence.startup)
  try {
    for (const [i, s] of [...sequence.steps, { bytes: sync(), code: 'Z', count: 1 }].entries()) {
      const want = count(socket, s.code) + s.count
      socket.write(s.bytes)
      await socket
        .until(() => count(socket, s.code) >= want || socket.closed, STEP_TIMEOUT_MS)
        .catch((err) => {
          throw new Error(`${sequence.name}: step ${i} on port ${port} waited for ${s.code}: ${err}`)
        })
      if (socket.closed) throw new Error(`port ${port} closed at step ${i}; got ${codes(socket.messages)}`)
    }
    socket.write(serializeTerminate())
    return { login: welcome, replies: [...socket.messages] }
  } finally {
    socket.destroy()
  }
}
