import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FrontendCode } from './codes.js'
import { FramingError, MAX_STARTUP_PACKET_LENGTH, MessageFramer } from './framer.js'
import {
  parseStartupPacket,
  serializeQuery,
  serializeStartupMessage,
  serializeTerminate,
} from './frontend.js'
import { MessageWriter } from './writer.js'

/** Parse + Bind + Execute + Sync, hand-built, plus a Query and a Terminate: a typical pipelined stream. */
function sampleStream(): Buffer {
  const w = new MessageWriter()
  w.begin(FrontendCode.Parse).cstring('').cstring('select $1::int').int16(0).end()
  w.begin(FrontendCode.Bind)
    .cstring('')
    .cstring('')
    .int16(0)
    .int16(1)
    .int32(1)
    .bytes(Buffer.from('7'))
    .int16(0)
    .end()
  w.begin(FrontendCode.Execute).cstring('').int32(0).end()
  w.begin(FrontendCode.Sync).end()
  return Buffer.concat([w.finish(), serializeQuery('select 1'), serializeTerminate()])
}

type Frame = [number, string]

function frames(framer: MessageFramer, chunks: Buffer[]): Frame[] {
  const out: Frame[] = []
  for (const chunk of chunks) {
    framer.push(chunk)
    while (framer.next())
      out.push([framer.code, framer.buffer.subarray(framer.start, framer.end).toString('hex')])
  }
  return out
}

describe('MessageFramer', () => {
  const stream = sampleStream()
  const whole = frames(new MessageFramer(), [stream])

  it('splits a pipelined stream into its six messages', () => {
    assert.deepEqual(
      whole.map(([code]) => String.fromCharCode(code)),
      ['P', 'B', 'E', 'S', 'Q', 'X'],
    )
    assert.equal(whole.map(([, hex]) => hex).join(''), stream.toString('hex'))
  })

  it('yields the same messages at every split point of the stream', () => {
    for (let i = 0; i <= stream.length; i++) {
      const got = frames(new MessageFramer(), [stream.subarray(0, i), stream.subarray(i)])
      assert.deepEqual(got, whole, `split at byte ${i}`)
    }
  })

  it('yields the same messages at every pair of split points', () => {
    for (let i = 0; i <= stream.length; i += 3) {
      for (let j = i; j <= stream.length; j += 2) {
        const parts = [stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)]
        assert.deepEqual(frames(new MessageFramer(), parts), whole, `split at ${i} and ${j}`)
      }
    }
  })

  it('yields the same messages when fed one byte at a time', () => {
    const bytes = [...stream].map((b) => Buffer.from([b]))
    assert.deepEqual(frames(new MessageFramer(), bytes), whole)
  })

  it('frames an untagged startup packet, then tagged messages, at every split point', () => {
    const startup = serializeStartupMessage({ user: 'alice', database: 'app' })
    const all = Buffer.concat([startup, serializeQuery('select 2')])
    for (let i = 0; i <= all.length; i++) {
      const f = new MessageFramer(true)
      const seen: string[] = []
      for (const part of [all.subarray(0, i), all.subarray(i)]) {
        f.push(part)
        while (f.next()) {
          if (f.untagged) {
            const packet = parseStartupPacket(f.buffer, f.start, f.end)
            assert.equal(packet.kind, 'startup')
            seen.push('startup')
            f.untagged = false
          } else seen.push(String.fromCharCode(f.code))
        }
      }
      assert.deepEqual(seen, ['startup', 'Q'], `split at ${i}`)
    }
  })

  it('keeps an incomplete tail pending', () => {
    const f = new MessageFramer()
    f.push(stream.subarray(0, 3))
    assert.equal(f.next(), false)
    assert.equal(f.pending, 3)
  })

  it('rejects a length below 4', () => {
    const f = new MessageFramer()
    f.push(Buffer.from([0x51, 0, 0, 0, 2]))
    assert.throws(() => f.next(), FramingError)
  })

  it('rejects a length above the limit instead of waiting for it forever', () => {
    const f = new MessageFramer()
    f.push(Buffer.from([0x51, 0xff, 0xff, 0xff, 0xff]))
    assert.throws(() => f.next(), /invalid message length 4294967295/)
  })

  it('rejects a startup packet longer than Postgres allows', () => {
    const f = new MessageFramer(true)
    const header = Buffer.alloc(8)
    header.writeUInt32BE(MAX_STARTUP_PACKET_LENGTH + 1, 0)
    f.push(header)
    assert.throws(() => f.next(), FramingError)
  })
})

describe('MessageFramer with a type check', () => {
  it('reports an invalid type byte before looking at the length, even when the header is incomplete', () => {
    const f = new MessageFramer(false, undefined, (code) => code === FrontendCode.Query)
    f.push(Buffer.from('GE'))
    assert.throws(() => f.next(), /invalid frontend message type 71/)
  })

  it('accepts valid type bytes at every split point', () => {
    const stream = Buffer.concat([serializeQuery('select 1'), serializeQuery('select 2')])
    for (let i = 0; i <= stream.length; i++) {
      const f = new MessageFramer(false, undefined, (code) => code === FrontendCode.Query)
      assert.equal(frames(f, [stream.subarray(0, i), stream.subarray(i)]).length, 2)
    }
  })
})

describe('MessageFramer: large messages (issue 16 point 6)', () => {
  it('a 16 MiB message arriving in 64 KiB reads is copied once, not on every read', () => {
    const body = Buffer.alloc(16 * 1024 * 1024, 0x61)
    const message = Buffer.concat([serializeQuery(body.toString('latin1')), serializeQuery('select 1')])
    const framer = new MessageFramer()
    const seen: number[] = []
    for (let at = 0; at < message.length; at += 64 * 1024) {
      framer.push(message.subarray(at, at + 64 * 1024))
      while (framer.next()) seen.push(framer.end - framer.start)
    }
    assert.deepEqual(seen, [body.length + 6, 14])
    // Joining the pending bytes on every read would copy about 16 MiB × 256 / 2 = 2 GiB.
    assert.ok(framer.copiedBytes <= 2 * message.length, `copied ${framer.copiedBytes} bytes`)
  })

  it('a limit lowered for the login refuses a longer message from its header, marked too long', () => {
    const framer = new MessageFramer(false, 65535)
    framer.push(Buffer.from([0x70, 0x3f, 0xff, 0xff, 0xff]))
    assert.throws(
      () => framer.next(),
      (err: FramingError) => err.tooLong,
    )
    const raised = new MessageFramer(false, 65535)
    raised.maxLength = 1 << 30
    raised.push(Buffer.from([0x70, 0x00, 0x10, 0x00, 0x00]))
    assert.equal(raised.next(), false, 'waits for the rest once the limit is raised')
  })

  it('a startup packet shorter than 8 bytes is not a startup packet', () => {
    const framer = new MessageFramer(true)
    framer.push(Buffer.from([0, 0, 0, 4]))
    assert.throws(() => framer.next(), FramingError)
  })
})
