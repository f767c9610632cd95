/**
 * What a Postgres backend still owes for the frontend messages sent to it, and which sent message each
 * backend message answers. This mirrors how the backend consumes its input (postgres.c `PostgresMain`
 * and `SocketBackend`, copyfromparse.c `CopyGetData`), so the gateway knows exactly how many
 * ReadyForQuery messages will come, instead of assuming one per Query or Sync:
 * - an error in an extended-protocol message (Parse, Bind, Describe, Execute, Close, Flush) makes the
 *   backend discard every following message, Query and FunctionCall included, until a Sync;
 * - an error in a Query, a FunctionCall or a Sync is followed by ReadyForQuery at once;
 * - during COPY FROM STDIN the backend reads CopyData until CopyDone or CopyFail and ignores Flush and
 *   Sync, so a Sync sent inside a COPY yields no ReadyForQuery;
 * - CopyData, CopyDone and CopyFail outside a COPY are ignored.
 * Pure: message type bytes in, decisions out; no sockets, no timers.
 * @see https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
 * @see https://github.com/postgres/postgres/blob/REL_15_STABLE/src/backend/tcop/postgres.c (SocketBackend, PostgresMain)
 * @module
 */
import { BackendCode, FrontendCode } from './codes.js'

/** What the owner of one sent message wants done with the replies to it. */
export interface ReplyAction {
  /** Its successful replies are the gateway's business, not the client's: do not forward them. */
  readonly drop: boolean
  /** Sees each reply to the message (before it is forwarded or dropped). */
  onReply?(code: number, buf: Buffer, start: number, end: number): void
  /** The message completed without an error. */
  onDone?(): void
  /** The message failed, or was skipped because an earlier message of its batch failed. */
  onFailed?(): void
  /** In place of the server's ErrorResponse for this message, the client gets these bytes. */
  replaceError?: Buffer
}

/** How the backend is reading its input. */
const Mode = {
  Normal: 0,
  /** After an error in an extended-protocol message: everything up to the next Sync is discarded. */
  SkipToSync: 1,
  /** Inside COPY FROM STDIN: CopyData/Flush/Sync are read by the COPY until CopyDone or CopyFail. */
  CopyIn: 2,
} as const
type Mode = (typeof Mode)[keyof typeof Mode]

const F = FrontendCode
const isSyncPoint = (c: number) => c === F.Sync || c === F.Query || c === F.FunctionCall
const isCopyMessage = (c: number) => c === F.CopyData || c === F.CopyDone || c === F.CopyFail

/**
 * FIFO of sent messages that the backend has not finished answering, each with a tag (who sent it) and
 * an optional {@link ReplyAction}. Runs of the same message type with the same tag and no action are
 * stored once with a count, so COPY data and pipelines cost no memory per message.
 */
export class OutstandingRequests<T> {
  // Parallel arrays used as a queue between `head` and `tail`. They are never shrunk: emptying resets
  // the indexes, so the hot path (a message sent, its reply read) allocates nothing.
  private codes: number[] = []
  private counts: number[] = []
  private tags: (T | undefined)[] = []
  private actions: (ReplyAction | undefined)[] = []
  private head = 0
  private tail = 0
  private mode: Mode = Mode.Normal
  /** Since the last ReadyForQuery nothing was sent: the backend waits at ReadyForQuery. */
  private ready = true
  /** CopyData was consumed in the current COPY, so a Sync read after it might be read after an error. */
  private copySawData = false
  private copyUncertain = false
  /**
   * The backend may have read a different number of messages than this model (a Sync between CopyData
   * messages of a COPY that then failed): ReadyForQuery counts can no longer be trusted.
   */
  desynced = false

  /** Tag of the message the last backend message answered (undefined: no message, e.g. a NOTIFY). */
  tag: T | undefined
  /** Action of the message the last backend message answered. */
  action: ReplyAction | undefined
  /** After a ReadyForQuery: no further sent message carries the same tag. */
  tagDone = false

  /** Number of sent messages not yet answered (runs counted once). */
  get size(): number {
    return this.tail - this.head
  }

  /** True when nothing is outstanding and the backend sits at ReadyForQuery. */
  get atReady(): boolean {
    return this.ready && this.size === 0
  }

  /** True while the backend discards input until a Sync. */
  get skippingToSync(): boolean {
    return this.mode === Mode.SkipToSync
  }

  /** True while the backend reads COPY data from the frontend (COPY FROM STDIN). */
  get inCopyIn(): boolean {
    return this.mode === Mode.CopyIn
  }

  /** Hands every outstanding message to `tag` (its sender left; someone else takes the replies). */
  retag(tag: T): void {
    for (let i = this.head; i < this.tail; i++) this.tags[i] = tag
  }

  /** The tags with messages outstanding, front first (for telling their owners of a lost connection). */
  pendingTags(): T[] {
    return this.tags.slice(this.head, this.tail) as T[]
  }

  /** Records one frontend message sent to the backend. */
  push(code: number, tag: T, action?: ReplyAction): void {
    this.ready = false
    if (this.mode === Mode.CopyIn && this.size <= 1) return this.pushIntoCopy(code, tag, action)
    if (this.mode === Mode.SkipToSync) {
      if (code !== F.Sync) return action?.onFailed?.()
      this.mode = Mode.Normal
    }
    const last = this.tail - 1
    if (
      action === undefined &&
      last >= this.head &&
      this.codes[last] === code &&
      this.tags[last] === tag &&
      this.actions[last] === undefined
    ) {
      this.counts[last]!++
    } else this.append(code, tag, action)
    if (this.size === 1) this.settle()
  }

  /** A message sent while the backend is inside COPY FROM STDIN with nothing queued behind the COPY. */
  private pushIntoCopy(code: number, tag: T, action: ReplyAction | undefined): void {
    if (this.size === 0) {
      // The COPY command already completed on our side; only stray copy messages can follow.
      this.mode = Mode.Normal
      return this.push(code, tag, action)
    }
    if (!this.consumeByCopy(code)) this.append(code, tag, action)
  }

  private append(code: number, tag: T, action: ReplyAction | undefined): void {
    const at = this.tail++
    this.codes[at] = code
    this.counts[at] = 1
    this.tags[at] = tag
    this.actions[at] = action
  }

  /**
   * Lets the COPY read one message, as CopyGetData does: true when it was consumed. Any message type
   * CopyGetData does not expect ends the connection on the backend ("protocol synchronization was lost").
   */
  private consumeByCopy(code: number): boolean {
    switch (code) {
      case F.CopyData:
        this.copySawData = true
        return true
      case F.Flush:
        return true
      case F.Sync:
        if (this.copySawData) this.copyUncertain = true
        return true
      case F.CopyDone:
      case F.CopyFail:
        this.mode = Mode.Normal
        return true
      default:
        this.desynced = true
        return false
    }
  }

  /**
   * Accounts for one backend message `buf[start, end)`. Afterwards `tag` and `action` say which sent
   * message it answers, and, for a ReadyForQuery, `tagDone` says whether that tag has nothing more
   * outstanding. The action sees the message before its completion is reported.
   */
  reply(code: number, buf?: Buffer, start = 0, end = 0): void {
    const front = this.size > 0 ? this.head : -1
    this.tag = front >= 0 ? this.tags[front] : undefined
    const action = front >= 0 ? this.actions[front] : undefined
    this.action = action
    if (action?.onReply !== undefined && buf !== undefined) action.onReply(code, buf, start, end)
    if (code === BackendCode.DataRow || front < 0) {
      if (front < 0 && code === BackendCode.ReadyForQuery) this.unexpectedReady()
      return
    }
    const sent = this.codes[front]!
    switch (code) {
      case BackendCode.ReadyForQuery:
        return this.onReadyForQuery(sent)
      case BackendCode.ErrorResponse:
        return this.onError(sent)
      case BackendCode.ParseComplete:
        return this.complete(sent === F.Parse)
      case BackendCode.BindComplete:
        return this.complete(sent === F.Bind)
      case BackendCode.CloseComplete:
        return this.complete(sent === F.Close)
      case BackendCode.NoData:
        return this.complete(sent === F.Describe)
      case BackendCode.PortalSuspended:
        return this.complete(sent === F.Execute)
      case BackendCode.RowDescription:
        if (sent === F.Describe) this.complete(true)
        return
      case BackendCode.CommandComplete:
      case BackendCode.EmptyQueryResponse:
        if (sent === F.Execute) this.complete(true)
        return
      case BackendCode.CopyInResponse:
        return this.startCopyIn()
      default:
        // ParameterDescription, CopyOutResponse, CopyData, CopyDone, FunctionCallResponse, notices,
        // notifications and ParameterStatus complete nothing.
        return
    }
  }

  /** The front message finished; `expected` false means the reply does not fit it (a model bug). */
  private complete(expected: boolean): void {
    if (!expected) {
      this.desynced = true
      return
    }
    const action = this.actions[this.head]
    this.popOne()
    action?.onDone?.()
    this.settle()
  }

  private onReadyForQuery(sent: number): void {
    const tag = this.tags[this.head]
    if (!isSyncPoint(sent)) this.desynced = true
    else this.popOne()
    this.mode = Mode.Normal
    this.settle()
    this.tagDone = this.size === 0 || this.tags[this.head] !== tag
    if (this.size === 0) this.ready = true
  }

  /** A ReadyForQuery with nothing sent: the model lost count. It goes to whoever owns the connection. */
  private unexpectedReady(): void {
    this.desynced = true
    this.tagDone = true
  }

  private onError(sent: number): void {
    if (this.mode === Mode.CopyIn) {
      this.mode = Mode.Normal
      if (this.copyUncertain) this.desynced = true
    }
    // Query, FunctionCall and Sync are answered with ReadyForQuery right after their error.
    if (isSyncPoint(sent)) return
    const action = this.actions[this.head]
    this.popOne()
    action?.onFailed?.()
    this.skipToSync()
  }

  /** Discards queued messages up to the next Sync, as the backend will; or waits for one to be sent. */
  private skipToSync(): void {
    while (this.size > 0 && this.codes[this.head] !== F.Sync) {
      const action = this.actions[this.head]
      this.popOne()
      action?.onFailed?.()
    }
    this.mode = this.size > 0 ? Mode.Normal : Mode.SkipToSync
  }

  /** CopyInResponse: the COPY reads the messages queued behind the command that started it. */
  private startCopyIn(): void {
    this.mode = Mode.CopyIn
    this.copySawData = false
    this.copyUncertain = false
    const at = this.head + 1
    while (at < this.tail && this.mode === Mode.CopyIn) {
      const code = this.codes[at]!
      if (code === F.CopyData || code === F.Flush) {
        // A whole run at once: these change nothing but the data flag.
        if (code === F.CopyData) this.copySawData = true
        this.removeAt(at)
        continue
      }
      if (!this.consumeByCopy(code)) return
      if (--this.counts[at]! === 0) this.removeAt(at)
    }
  }

  /** Pops messages at the front that the backend answers with nothing (Flush, stray copy messages). */
  private settle(): void {
    while (this.size > 0 && this.mode === Mode.Normal) {
      const code = this.codes[this.head]!
      if (code !== F.Flush && !isCopyMessage(code)) return
      this.counts[this.head] = 1
      this.popOne()
    }
  }

  private popOne(): void {
    const h = this.head
    if (--this.counts[h]! > 0) return
    this.actions[h] = undefined
    this.tags[h] = undefined // let a closed session be collected
    this.head++
    if (this.head === this.tail) this.head = this.tail = 0
    else if (this.head > 64 && this.head * 2 > this.tail) this.compact()
  }

  private removeAt(at: number): void {
    this.codes.splice(at, 1)
    this.counts.splice(at, 1)
    this.tags.splice(at, 1)
    this.actions.splice(at, 1)
    this.tail--
  }

  /** Moves the live entries to the front (a long pipeline drained from the front). */
  private compact(): void {
    const n = this.tail - this.head
    for (let i = 0; i < n; i++) {
      const from = this.head + i
      this.codes[i] = this.codes[from]!
      this.counts[i] = this.counts[from]!
      this.tags[i] = this.tags[from]
      this.actions[i] = this.actions[from]
      this.tags[from] = this.actions[from] = undefined
    }
    this.head = 0
    this.tail = n
  }

  /** Forgets everything (the connection is gone). */
  clear(): void {
    for (let i = this.head; i < this.tail; i++) this.actions[i]?.onFailed?.()
    this.codes.length = this.counts.length = this.tags.length = this.actions.length = 0
    this.head = this.tail = 0
    this.mode = Mode.Normal
    this.ready = true
  }
}
