/**
 * The query phase of an admin console login: every message is answered by the gateway, no server is
 * involved. Simple-protocol Queries run admin commands (admin-commands.ts); the extended protocol is
 * refused with 0A000 once per batch, and its Sync answered, so a driver never hangs.
 * @module
 */
import { serializeReadyForQuery } from '../protocol/backend.js'
import { FrontendCode, TxnStatus } from '../protocol/codes.js'
import type { MessageFramer } from '../protocol/framer.js'
import { SqlState } from '../protocol/sqlstate.js'
import { type AdminSources, runAdminQuery } from './admin-commands.js'
import { adminError } from './admin-results.js'

const READY_IDLE = serializeReadyForQuery(TxnStatus.Idle)

/** The admin console of one client. */
export class AdminConsole {
  /** An extended-protocol batch was refused: skip to its Sync. */
  private skipping = false
  queryCount = 0

  constructor(
    private readonly sources: AdminSources,
    private readonly write: (bytes: Buffer) => void,
    private readonly terminate: () => void,
  ) {}

  /** Answers every complete message the framer holds. */
  read(f: MessageFramer): void {
    while (f.next()) {
      switch (f.code) {
        case FrontendCode.Terminate:
          return this.terminate()
        case FrontendCode.Query: {
          this.skipping = false
          this.queryCount++
          const sql = f.buffer.toString('utf8', f.start + 5, f.end - 1)
          this.write(Buffer.concat([runAdminQuery(sql, this.sources), READY_IDLE]))
          break
        }
        case FrontendCode.Sync:
          this.skipping = false
          this.write(READY_IDLE)
          break
        case FrontendCode.Flush:
          break
        default:
          if (this.skipping) break
          this.skipping = true
          this.write(
            adminError(
              SqlState.FeatureNotSupported,
              'the admin console answers only the simple query protocol',
              'send its commands as plain queries (psql -c "SHOW HELP")',
            ),
          )
      }
    }
  }
}
