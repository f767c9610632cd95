/**
 * Brings a server connection to a client's settings before the client's messages run there (the I/O
 * half of client-settings.ts and param-sync.ts): the `set_config` statement goes as the gateway's own
 * query, pipelined ahead of the client's messages, so it costs no round trip.
 * @module
 */
import { log } from '../log.js'
import { InternalQuery } from '../pool/internal-query.js'
import type { ServerConnection } from '../pool/server-conn.js'
import { parseErrorFields } from '../protocol/backend-decode.js'
import { BackendCode } from '../protocol/codes.js'
import type { ClientSettings } from './client-settings.js'
import { planReportSync } from './param-sync.js'

/**
 * The gateway's `set_config` statement, keeping the fields of the first error: a refused startup value
 * reaches the client as the server's own error, and the log names only the SQLSTATE (the server's
 * message quotes the refused value, which is the client's and may hold anything).
 */
export class SettingsQuery extends InternalQuery {
  errorFields?: Map<string, string>

  override onServerData(buf: Buffer, start: number, end: number): void {
    for (let at = start; at < end && this.errorFields === undefined; at += 1 + buf.readUInt32BE(at + 1)) {
      if (buf[at] === BackendCode.ErrorResponse)
        this.errorFields = parseErrorFields(buf, at, at + 1 + buf.readUInt32BE(at + 1))
    }
    super.onServerData(buf, start, end)
  }
}

/**
 * Queues what `server` needs to run the client's next messages: its settings (only those that differ)
 * and returns the ParameterStatus messages to send the client first, if any. `view` is the client's
 * view of reported values (`reportedAgree`: known to agree with the server's), updated with what the
 * server reports back; `changed` hears of every change made to it.
 */
export function applyClientSettings(
  view: Map<string, string>,
  reportedAgree: boolean,
  settings: ClientSettings,
  server: ServerConnection,
  clientId: number,
  changed: () => void,
): Buffer | undefined {
  const notices = reportedAgree
    ? undefined
    : planReportSync(view, server.params, settings.wanted, server.settings)
  if (notices !== undefined) changed()
  const sql = settings.planFor(server.settings)
  if (sql === undefined) return notices
  const before = server.settings
  server.settings = new Map(settings.wanted)
  const query: SettingsQuery = new SettingsQuery(
    (error) => {
      if (error === undefined) return
      // The statement failed as a whole, so the server kept its values. The client's transaction runs
      // with them; the log says which parameters, by name only.
      server.settings = before
      log.warn('could not apply a client setting on the server', {
        client: clientId,
        parameters: [...settings.wanted.keys()],
        sqlstate: query.errorFields?.get('C') ?? 'none (the server connection was lost)',
      })
    },
    (name, value) => {
      view.set(name, value)
      changed()
    },
  )
  server.sendInternal(query, [sql])
  return notices
}

/** The client as SettingsSync sees it. */
export interface SettingsOwner {
  readonly id: number
  readonly params: Map<string, string>
  readonly settings: ClientSettings
}

/**
 * One client's settings and reported values kept true on the servers its transactions land on, and
 * the ParameterStatus messages it is owed, sent ahead of its next reply.
 */
export class SettingsSync {
  /** ParameterStatus messages to send the client before its next reply. */
  notices?: Buffer
  /**
   * The server connections whose reported values agreed with this client's when it last let them go,
   * with their paramsVersion then: landing on one again with nothing reported since needs no
   * comparison (a client hops between the same few connections all day). Any change to the client's
   * values forgets them all.
   */
  private agreed = new WeakMap<ServerConnection, number>()
  /**
   * The server connections whose settings were brought to this client's, with both maps as they were
   * then: maps are replaced, never changed in place, so the same two maps mean nothing to compare.
   */
  private applied = new WeakMap<
    ServerConnection,
    { server: Map<string, string>; wanted: Map<string, string> }
  >()

  constructor(private readonly owner: SettingsOwner) {}

  /** A server was lent: bring it to the client's settings before the client's messages run there. */
  attached(server: ServerConnection): void {
    const o = this.owner
    const agreed = this.agreed.get(server) === server.paramsVersion
    if (agreed) {
      if (o.settings.wanted.size === 0 && server.settings.size === 0) return
      const last = this.applied.get(server)
      if (last !== undefined && last.server === server.settings && last.wanted === o.settings.wanted) return
    }
    this.add(applyClientSettings(o.params, agreed, o.settings, server, o.id, this.changed))
    this.applied.set(server, { server: server.settings, wanted: o.settings.wanted })
  }

  /** The server goes back to its pool: remember that it agreed. */
  detached(server: ServerConnection): void {
    this.agreed.set(server, server.paramsVersion)
  }

  /** The client's settings changed while it keeps `server` (a probe's answer): apply them there. */
  reapply(server: ServerConnection): void {
    const o = this.owner
    this.add(applyClientSettings(o.params, false, o.settings, server, o.id, this.changed))
  }

  /** One shard of a multi-shard transaction: settings only (the first shard speaks for reported values). */
  prepareLeg(server: ServerConnection): void {
    const o = this.owner
    applyClientSettings(o.params, true, o.settings, server, o.id, this.changed)
  }

  /** A ParameterStatus from the client's server, already on its way to the client. */
  reported(name: string, value: string): void {
    const params = this.owner.params
    if (params.get(name) === value) return
    params.set(name, value)
    this.changed()
  }

  /** Takes the notices owed, prepended to `bytes`. */
  prepend(bytes: Buffer): Buffer {
    const notices = this.notices
    if (notices === undefined) return bytes
    this.notices = undefined
    return Buffer.concat([notices, bytes])
  }

  private add(more: Buffer | undefined): void {
    if (more !== undefined)
      this.notices = this.notices === undefined ? more : Buffer.concat([this.notices, more])
  }

  /** The client's values changed: no server connection is known to agree any more. */
  private readonly changed = (): void => {
    this.agreed = new WeakMap()
  }
}
