import { removeBaseDir } from './base-dir.js'
import { cleanupOnExit } from './exit-hooks.js'
import { waitGoneSync } from './pg-process.js'
import type { PgInstance, ServerContext } from './pg-server.js'
import type { PgServer, StopMode, Topology, TopologyUsers } from './types.js'

/** The servers of one topology, in start order. */
export interface InstanceSet {
  primary: PgInstance
  replicas: PgInstance[]
  shards: PgInstance[]
}

/** Owns shutdown of a topology from the moment its directory exists, including a failed start. */
export class TopologyRuntime {
  private stopping: Promise<void> | undefined
  private readonly untrack: () => void

  constructor(
    private readonly ctx: ServerContext,
    readonly set: InstanceSet,
    private readonly keepDir: boolean,
  ) {
    this.untrack = cleanupOnExit(this)
  }

  get baseDir(): string {
    return this.ctx.baseDir
  }

  get all(): PgInstance[] {
    return [this.set.primary, ...this.set.replicas, ...this.set.shards]
  }

  /** Idempotent: every caller (API, signal handler, failed start) shares one shutdown. */
  stop(): Promise<void> {
    this.ctx.closed = true
    this.stopping ??= this.stopAll()
    return this.stopping
  }

  private async stopAll(): Promise<void> {
    await Promise.allSettled(this.all.map((inst) => inst.stop()))
    if (!this.keepDir) removeBaseDir(this.baseDir)
    this.untrack()
  }

  /** For process 'exit': immediate shutdown of everything, blocking until the processes are gone. */
  stopSync(): void {
    this.ctx.closed = true
    const pids = this.all.map((inst) => inst.quitNow()).filter((pid) => pid !== undefined)
    waitGoneSync(pids)
    if (!this.keepDir) removeBaseDir(this.baseDir)
  }

  /** kill -9 + start for one server given by its public view. */
  async restart(server: PgServer): Promise<void> {
    const inst = this.instance(server)
    await inst.kill()
    await inst.start()
  }

  /** Stops one server; the others keep running. */
  async stopServer(server: PgServer, mode: StopMode): Promise<void> {
    await this.instance(server).stop(mode)
  }

  /** Starts one server that was stopped, in its current role. */
  async startServer(server: PgServer): Promise<void> {
    const inst = this.instance(server)
    if (inst.pid() !== undefined) throw new Error(`${inst.name} (port ${inst.port}) is already running`)
    await inst.start()
  }

  /** Promotes one running replica (see PgInstance.promote). */
  async promote(server: PgServer): Promise<void> {
    await this.instance(server).promote()
  }

  /** The instance behind a public server view, while the topology is not stopping. */
  private instance(server: PgServer | undefined): PgInstance {
    const inst = this.all.find((i) => i.name === server?.name && i.dataDir === server?.dataDir)
    if (!inst) throw new Error(`server ${server?.name} does not belong to the topology in ${this.baseDir}`)
    if (this.stopping) throw new Error(`topology in ${this.baseDir} is stopped`)
    return inst
  }

  /** The public {@link Topology}; call once every server has started (ports are final then). */
  toTopology(users: TopologyUsers, database: string): Topology {
    return {
      primary: serverView(this.set.primary),
      replicas: this.set.replicas.map(serverView),
      shards: this.set.shards.map(serverView),
      users,
      database,
      shardDatabase: database,
      baseDir: this.baseDir,
      // One name for both: stop() is the whole topology, stop(server, mode) one server.
      stop: (...args: [] | [PgServer, StopMode]) =>
        args.length === 0 ? this.stop() : this.stopServer(...args),
      start: (server) => this.startServer(server),
      promote: (server) => this.promote(server),
      restart: (server) => this.restart(server),
    }
  }
}

function serverView(inst: PgInstance): PgServer {
  return {
    name: inst.name,
    host: '127.0.0.1',
    port: inst.port,
    get role() {
      return inst.role
    },
    dataDir: inst.dataDir,
    pid: () => inst.pid(),
  }
}
