/**
 * Serializers for the extended-protocol messages a test client sends (the gateway only ever rewrites
 * these, so the protocol layer does not build them from scratch).
 * @see https://www.postgresql.org/docs/current/protocol-message-formats.html
 * @module
 */
import { FrontendCode } from '../../protocol/codes.js'
import { MessageWriter } from '../../protocol/writer.js'

/** Parse: statement `name` ('' unnamed) of `sql`, with parameter type OIDs (0: let the server infer). */
export function parse(name: string, sql: string, types: readonly number[] = []): Buffer {
  const w = new MessageWriter().begin(FrontendCode.Parse).cstring(name).cstring(sql).int16(types.length)
  for (const t of types) w.int32(t)
  return w.end().finish()
}

/** Bind: portal `portal` of statement `statement`, every parameter and result in text. */
export function bind(portal: string, statement: string, params: ReadonlyArray<string | null> = []): Buffer {
  const w = new MessageWriter().begin(FrontendCode.Bind).cstring(portal).cstring(statement)
  w.int16(0).int16(params.length) // no format codes: all text
  for (const p of params) {
    if (p === null) w.int32(-1)
    else {
      const bytes = Buffer.from(p)
      w.int32(bytes.length).bytes(bytes)
    }
  }
  return w.int16(0).end().finish()
}

/** Describe of a statement ('S') or a portal ('P'). */
export function describe(target: 'S' | 'P', name: string): Buffer {
  const w = new MessageWriter().begin(FrontendCode.Describe).byte(target.charCodeAt(0)).cstring(name)
  return w.end().finish()
}

/** Close of a statement ('S') or a portal ('P'). */
export function close(target: 'S' | 'P', name: string): Buffer {
  const w = new MessageWriter().begin(FrontendCode.Close).byte(target.charCodeAt(0)).cstring(name)
  return w.end().finish()
}

/** Execute: every row of `portal` (0: no row limit). */
export function execute(portal: string, maxRows = 0): Buffer {
  return new MessageWriter().begin(FrontendCode.Execute).cstring(portal).int32(maxRows).end().finish()
}

/** Sync: ends a batch; the server answers with ReadyForQuery. */
export function sync(): Buffer {
  return new MessageWriter(5).begin(FrontendCode.Sync).end().finish()
}

/** Flush: asks the server to send what it has so far, without ending the batch. */
export function flush(): Buffer {
  return new MessageWriter(5).begin(FrontendCode.Flush).end().finish()
}
