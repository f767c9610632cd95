/**
 * The query phase of an admin console login: every message is answered by the gateway, no server is
 * involved. A simple-protocol Query runs one command (admin-commands.ts); the extended protocol runs
 * them too, without parameters (admin-extended.ts). Replies stay in order: while a command waits for
 * the gateway (PAUSE, RELOAD) no further message is read, and the next ones are answered after it.
 * @module
 */
import { serializeReadyForQuery } from '../protocol/backend.js'
import { FrontendCode, TxnStatus } from '../protocol/codes.js'
import type { MessageFramer } from '../protocol/framer.js'
import { runAdminCommand } from './admin-commands.js'
import { AdminExtended } from './admin-extended.js'
import { type AdminResult, resultBytes } from './admin-results.js'
import type { AdminSources } from './admin-sources.js'

const READY_IDLE = serializeReadyForQuery(TxnStatus.Idle)

/** The admin console of one client. */
export class AdminConsole {
  queryCount = 0
  /** A command's reply is awaited: messages wait in the framer until it is written. */
  private waiting = false
  private readonly extended: AdminExtended

  constructor(
    private readonly sources: AdminSources,
    private readonly write: (bytes: Buffer) => void,
    private readonly terminate: () => void,
    /** Reads on from the framer (the session's resumeInput) once an awaited reply is written. */
    private readonly resume: () => void = () => {},
  ) {
    this.extended = new AdminExtended(sources)
  }

  /** Answers every complete message the framer holds, up to a command that must be awaited. */
  read(f: MessageFramer): void {
    while (!this.waiting && f.next()) {
      switch (f.code) {
        case FrontendCode.Terminate:
          return this.terminate()
        case FrontendCode.Query: {
          this.queryCount++
          this.extended.sync()
          const sql = f.buffer.toString('utf8', f.start + 5, f.end - 1)
          this.answer(runAdminCommand(sql, this.sources), true, READY_IDLE)
          break
        }
        case FrontendCode.Sync:
          this.extended.sync()
          this.write(READY_IDLE)
          break
        case FrontendCode.Flush:
          break
        case FrontendCode.Execute: {
          const reply = this.extended.execute(f.buffer, f.start, f.end)
          if (Buffer.isBuffer(reply)) this.write(reply)
          else {
            this.queryCount++
            this.answer(reply, false)
          }
          break
        }
        default:
          this.write(this.extended.message(f.code, f.buffer, f.start, f.end))
      }
    }
  }

  /** Writes a result now, or once its promise settles, holding every later message until then. */
  private answer(result: AdminResult | Promise<AdminResult>, describe: boolean, after?: Buffer): void {
    if (!(result instanceof Promise)) return this.write(this.bytes(result, describe, after))
    this.waiting = true
    result.then(
      (r) => this.written(this.bytes(r, describe, after)),
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err)
        this.written(this.bytes({ kind: 'error', code: 'XX000', message }, describe, after))
      },
    )
  }

  private bytes(result: AdminResult, describe: boolean, after?: Buffer): Buffer {
    if (result.kind === 'error' && !describe) this.extended.failed() // an Execute's error skips to Sync
    const out = resultBytes(result, describe)
    return after === undefined ? out : Buffer.concat([out, after])
  }

  private written(bytes: Buffer): void {
    this.waiting = false
    this.write(bytes)
    this.resume()
  }
}
