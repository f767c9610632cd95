/**
 * Human-readable renderings of backend messages, for failure messages only: the comparison itself is
 * on bytes, this just says what the differing bytes mean.
 * @module
 */
import { parseErrorFields, parseParameterStatus } from '../../gateway/src/protocol/backend-decode.js'
import { MessageReader } from '../../gateway/src/protocol/reader.js'
import type { RawMessage } from '../helpers/raw-socket.js'

const clip = (s: string, n = 60): string => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s)

/** DataRow columns as strings (NULL spelled out, binary shown as hex). */
function dataRow(m: RawMessage): string {
  const r = new MessageReader(m.body, 5, m.body.length)
  const cols: string[] = []
  for (let n = r.int16(); n > 0; n--) {
    const len = r.int32()
    if (len < 0) cols.push('NULL')
    else {
      const bytes = r.bytes(len)
      const text = bytes.toString('utf8')
      cols.push(clip(/^[\x20-\x7e]*$/.test(text) ? JSON.stringify(text) : `0x${bytes.toString('hex')}`))
    }
  }
  return `DataRow [${cols.join(', ')}]`
}

/** RowDescription: column names, source table OID and column (when any), type OIDs and format codes. */
function rowDescription(m: RawMessage): string {
  const r = new MessageReader(m.body, 5, m.body.length)
  const cols: string[] = []
  for (let n = r.int16(); n > 0; n--) {
    const name = r.cstring()
    const table = r.int32()
    const origin = table === 0 ? '' : `@${table}.${r.int16()}`
    if (table === 0) r.int16()
    const type = r.int32()
    r.bytes(6) // type size and modifier
    cols.push(`${name}${origin}:${type}/${r.int16() === 1 ? 'bin' : 'text'}`)
  }
  return `RowDescription [${cols.join(', ')}]`
}

function fields(m: RawMessage): string {
  const f = parseErrorFields(m.body, 0, m.body.length)
  return [...f].map(([k, v]) => `${k}=${clip(v)}`).join(' ')
}

/** One message as text: its type byte, length and decoded content where that helps. */
export function describeMessage(m: RawMessage | undefined): string {
  if (m === undefined) return '(no message)'
  const head = `'${m.code}' len ${m.body.length - 1}`
  try {
    switch (m.code) {
      case 'D':
        return `${head} ${dataRow(m)}`
      case 'T':
        return `${head} ${rowDescription(m)}`
      case 'E':
      case 'N':
        return `${head} ${m.code === 'E' ? 'Error' : 'Notice'} ${fields(m)}`
      case 'S':
        return `${head} ParameterStatus ${parseParameterStatus(m.body, 0, m.body.length).join('=')}`
      case 'C':
        return `${head} CommandComplete ${new MessageReader(m.body, 5, m.body.length).cstring()}`
      case 'Z':
        return `${head} ReadyForQuery ${String.fromCharCode(m.body[5]!)}`
      default:
        return `${head} 0x${clip(m.body.subarray(5).toString('hex'), 80)}`
    }
  } catch (err) {
    return `${head} (undecodable: ${err}) 0x${clip(m.body.toString('hex'), 80)}`
  }
}
