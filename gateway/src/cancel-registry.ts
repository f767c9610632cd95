/**
 * The logged-in clients by cancel key: the process id and secret key each client got in its
 * BackendKeyData, so that a CancelRequest on a new connection finds the client it names.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-CANCELING-REQUESTS
 * @module
 */
import type { CancelTarget } from './session/client-context.js'
import { ProcessIds } from './util/process-ids.js'
import { randomInt32 } from './util/random-pool.js'

/** The cancel registry's key: a CancelRequest must name both. */
function cancelKey(processId: number, secretKey: number): string {
  return `${processId}:${secretKey}`
}

/** Logged-in clients by (process id, secret key). */
export class CancelRegistry {
  /** Logged-in clients by cancel key (see cancelKey). */
  readonly clients = new Map<string, CancelTarget>()
  /** Process ids the gateway made that are in use. */
  private readonly gatewayPids = new Set<number>()
  /** Client-visible process ids (see util/process-ids.ts); one worker, id 0, for now. */
  private readonly processIds = new ProcessIds(0)

  /** Logged-in clients now. */
  get size(): number {
    return this.clients.size
  }

  /** Gives `session` its BackendKeyData: its server's pid in session mode, else one the gateway makes. */
  register(session: CancelTarget, serverProcessId?: number): { processId: number; secretKey: number } {
    // Process ids need not be unique (a session-mode client shows its server's real pid, and servers
    // on different hosts may share one): the registry is keyed by pid and secret key together.
    const processId = serverProcessId ?? this.processIds.next((id) => this.gatewayPids.has(id))
    let secretKey = randomInt32()
    while (this.clients.has(cancelKey(processId, secretKey))) secretKey = randomInt32()
    if (serverProcessId === undefined) this.gatewayPids.add(processId)
    this.clients.set(cancelKey(processId, secretKey), session)
    return { processId, secretKey }
  }

  unregister(session: CancelTarget): void {
    const key = cancelKey(session.processId, session.secretKey)
    if (this.clients.get(key) !== session) return
    this.clients.delete(key)
    this.gatewayPids.delete(session.processId)
  }

  /** A logged-in client showing this process id. */
  byProcessId(processId: number): CancelTarget | undefined {
    for (const client of this.clients.values()) if (client.processId === processId) return client
    return undefined
  }

  cancel(processId: number, secretKey: number): void {
    // A wrong key is ignored silently, as Postgres does, so keys cannot be probed.
    this.clients.get(cancelKey(processId, secretKey))?.cancelRunningQuery()
  }

  values(): IterableIterator<CancelTarget> {
    return this.clients.values()
  }
}
