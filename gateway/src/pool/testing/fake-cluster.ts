/**
 * A set of fake Postgres backends behind one (or several) addresses: every pipe the gateway opens gets
 * its own {@link FakeServer}. Tests set what all of them do (auth, parameters, handlers, refusals) here,
 * and find the individual connections here to assert on what each received.
 * @module
 */
import type { ServerAddress } from '../server-address.js'
import type { ServerTransport } from '../server-connector.js'
import { DEFAULT_SERVER_PARAMS, type FakeAuth } from './fake-login.js'
import { matches, type QueryHandler, type QueryMatch } from './fake-outcome.js'
import { FakeServer } from './fake-server.js'
import { MemoryPipe } from './memory-transport.js'

/** What every backend of a cluster does. */
export interface FakeClusterOptions {
  /** How backends ask the gateway to log in (default trust). */
  auth?: FakeAuth
  /** The password cleartext and md5 logins must prove (default 'secret'). */
  password?: string
  /** Reported parameters that differ from DEFAULT_SERVER_PARAMS. */
  params?: Record<string, string>
  /** Splits every write of a backend into chunks of at most this many bytes (default: whole writes). */
  maxChunk?: number
}

/** A CancelRequest as a backend received it. */
export interface ReceivedCancel {
  processId: number
  secretKey: number
  /** The backend it named, if one has that process id and secret key. */
  target?: FakeServer
}

/** Fake backends, one per pipe opened. */
export class FakeCluster {
  /** Every backend, in the order its pipe was opened (cancel pipes and refused logins included). */
  readonly servers: FakeServer[] = []
  /** The address of each pipe opened (refused ones included). */
  readonly opened: ServerAddress[] = []
  readonly cancels: ReceivedCancel[] = []
  /** New pipes fail as a refused TCP connection does. */
  refuseConnections = false
  /** New logins are refused with FATAL 28P01. */
  refuseLogins = false
  /** Called with each new backend before the gateway's first byte reaches it (to hold its login, say). */
  onServer?: (server: FakeServer) => void
  private readonly handlers: Array<[QueryMatch, QueryHandler]> = []
  private nextProcessId = 1001

  constructor(readonly options: FakeClusterOptions = {}) {}

  /** Answers statements `match` selects with `handler` on every backend (newest handler first). */
  handle(match: QueryMatch, handler: QueryHandler): this {
    this.handlers.unshift([match, handler])
    return this
  }

  /** Opens a pipe to a new backend; what a StreamConnector calls (see MemoryConnector). */
  open(address: ServerAddress): ServerTransport {
    this.opened.push(address)
    const pipe = new MemoryPipe({ refuse: this.refuseConnections })
    if (this.refuseConnections) return pipe.gatewaySide
    const processId = this.nextProcessId++
    const server = new FakeServer(pipe.serverSide, {
      auth: this.options.auth ?? 'trust',
      password: this.options.password ?? 'secret',
      refuse: this.refuseLogins,
      params: { ...DEFAULT_SERVER_PARAMS, ...this.options.params },
      processId,
      // Not random: tests compare keys, and a fixed rule keeps failures reproducible.
      secretKey: processId * 7919,
      maxChunk: this.options.maxChunk ?? 0,
      handlerFor: (sql) => this.handlers.find(([m]) => matches(m, sql))?.[1],
      onCancel: (pid, key) =>
        this.cancels.push({ processId: pid, secretKey: key, target: this.find(pid, key) }),
    })
    this.servers.push(server)
    this.onServer?.(server)
    return pipe.gatewaySide
  }

  /** Backends that completed a login (whether still open or not). */
  get loggedIn(): FakeServer[] {
    return this.servers.filter((s) => s.loggedIn)
  }

  /** Backends serving now. */
  get live(): FakeServer[] {
    return this.servers.filter((s) => s.state === 'ready')
  }

  /** NOTIFY `channel`: every live backend listening on it gets a NotificationResponse; how many did. */
  notify(channel: string, payload = '', processId = 4242): number {
    return this.live.filter((s) => s.notify(channel, payload, processId)).length
  }

  /** The backend with this process id. */
  byProcessId(processId: number): FakeServer | undefined {
    return this.servers.find((s) => s.processId === processId)
  }

  private find(processId: number, secretKey: number): FakeServer | undefined {
    const server = this.byProcessId(processId)
    return server?.secretKey === secretKey ? server : undefined
  }
}
