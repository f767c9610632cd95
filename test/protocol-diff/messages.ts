/**
 * Frontend message builders and the step model of the differential corpus. The gateway's own
 * serializers cover Query, Describe and Close; the rest (Bind with formats, Execute with a row limit,
 * COPY sub-protocol) are built here on its MessageWriter, so the bytes are exactly what we wrote.
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 * @module
 */
import { FrontendCode } from '../../gateway/src/protocol/codes.js'
import { serializeClose, serializeDescribe } from '../../gateway/src/protocol/extended.js'
import { serializeQuery } from '../../gateway/src/protocol/frontend.js'
import { MessageWriter } from '../../gateway/src/protocol/writer.js'

/** One write to the server, then a wait for `count` more backend messages of type `code`. */
export interface Step {
  bytes: Buffer
  code: string
  count: number
}

/** A named scenario: its steps run in order on one freshly logged-in connection. */
export interface Sequence {
  name: string
  steps: Step[]
  /** Extra startup parameters, sent to both sides (user and database are always sent). */
  startup?: Record<string, string>
}

/** A step; by default it waits for one ReadyForQuery. */
export function step(bytes: Buffer | Buffer[], code = 'Z', count = 1): Step {
  return { bytes: Array.isArray(bytes) ? Buffer.concat(bytes) : bytes, code, count }
}

/** A write that expects no reply yet (no Sync or Flush in it): the next step goes out at once. */
export function send(bytes: Buffer[]): Step {
  return step(bytes, 'Z', 0)
}

/** Several simple queries, each its own step that waits for its ReadyForQuery. */
export function queries(...sql: string[]): Step[] {
  return sql.map((s) => step(serializeQuery(s)))
}

export const query = serializeQuery

export function parse(name: string, sql: string, types: number[] = []): Buffer {
  const w = new MessageWriter().begin(FrontendCode.Parse).cstring(name).cstring(sql).int16(types.length)
  for (const t of types) w.int32(t)
  return w.end().finish()
}

/** Parameter value: text (UTF-8), raw bytes (for binary format), or SQL NULL. */
export type Param = string | Buffer | null

export interface BindOptions {
  portal?: string
  params?: Param[]
  paramFormats?: number[]
  resultFormats?: number[]
}

export function bind(statement: string, o: BindOptions = {}): Buffer {
  const w = new MessageWriter()
    .begin(FrontendCode.Bind)
    .cstring(o.portal ?? '')
    .cstring(statement)
  const formats = (list: number[] = []) => {
    w.int16(list.length)
    for (const f of list) w.int16(f)
  }
  formats(o.paramFormats)
  const params = o.params ?? []
  w.int16(params.length)
  for (const p of params) {
    if (p === null) w.int32(-1)
    else {
      const bytes = typeof p === 'string' ? Buffer.from(p) : p
      w.int32(bytes.length).bytes(bytes)
    }
  }
  formats(o.resultFormats)
  return w.end().finish()
}

export const describe = (type: 'S' | 'P', name: string): Buffer => serializeDescribe(type.charCodeAt(0), name)
export const close = (type: 'S' | 'P', name: string): Buffer => serializeClose(type.charCodeAt(0), name)

/** Execute; `maxRows` 0 means all rows, anything else may end with PortalSuspended. */
export function execute(portal = '', maxRows = 0): Buffer {
  return new MessageWriter().begin(FrontendCode.Execute).cstring(portal).int32(maxRows).end().finish()
}

const bare = (code: number): Buffer => new MessageWriter(5).begin(code).end().finish()
export const sync = (): Buffer => bare(FrontendCode.Sync)
export const flush = (): Buffer => bare(FrontendCode.Flush)
export const copyDone = (): Buffer => bare(FrontendCode.CopyDone)

export function copyData(text: string): Buffer {
  return new MessageWriter().begin(FrontendCode.CopyData).bytes(Buffer.from(text)).end().finish()
}

export function copyFail(reason: string): Buffer {
  return new MessageWriter().begin(FrontendCode.CopyFail).cstring(reason).end().finish()
}

/** Parse + Bind + Describe portal + Execute of unnamed objects: one statement of a pipeline. */
export function unnamed(sql: string, o: BindOptions = {}): Buffer[] {
  return [parse('', sql), bind('', o), describe('P', o.portal ?? ''), execute(o.portal ?? '')]
}

/** A big-endian int32 or int64 for binary-format parameters. */
export function int4(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}

export function int8(n: bigint): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigInt64BE(n)
  return b
}
