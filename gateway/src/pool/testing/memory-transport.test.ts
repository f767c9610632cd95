import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MemoryPipe } from './memory-transport.js'
import { until } from './until.js'

/** A pipe with both sides recorded. */
function recordedPipe() {
  const pipe = new MemoryPipe()
  const events: string[] = []
  const g = pipe.gatewaySide
  g.on('connect', () => events.push('connect'))
  g.on('data', (b: Buffer) => events.push(`gateway got ${b}`))
  g.on('error', (e: Error) => events.push(`error ${e.message}`))
  g.on('close', () => events.push('close'))
  pipe.serverSide.onData = (b) => events.push(`server got ${b}`)
  pipe.serverSide.onClose = () => events.push('server saw the end')
  return { pipe, events }
}

describe('MemoryPipe', () => {
  it('connects on a later turn and delivers nothing synchronously, as a socket', async () => {
    const { pipe, events } = recordedPipe()
    assert.equal(events.length, 0, 'no connect inside the constructor')
    await until(() => events.includes('connect'), 'connect')
    pipe.gatewaySide.write(Buffer.from('ping'))
    pipe.serverSide.write(Buffer.from('pong'))
    assert.deepEqual(events, ['connect'], 'writes arrive on a later turn')
    await until(() => events.length === 3, 'both writes')
    assert.deepEqual(events.slice(1).sort(), ['gateway got pong', 'server got ping'])
  })

  it('a paused side buffers, and the close waits behind the data sent before it', async () => {
    const { pipe, events } = recordedPipe()
    await until(() => events.includes('connect'), 'connect')
    pipe.gatewaySide.pause()
    pipe.serverSide.write(Buffer.from('a'))
    pipe.serverSide.write(Buffer.from('b'))
    pipe.serverSide.close()
    pipe.gatewaySide.write(Buffer.from('x'))
    await until(() => events.includes('server got x'), 'the other direction to flow')
    assert.deepEqual(events, ['connect', 'server got x'], 'nothing reaches a paused side')
    pipe.gatewaySide.resume()
    await until(() => events.includes('close'), 'the close')
    assert.deepEqual(events.slice(2), ['gateway got a', 'gateway got b', 'close'])
    assert.equal(pipe.gatewaySide.destroyed, true)
  })

  it('end() lets the server close in turn; destroy() drops unread data and closes once', async () => {
    const { pipe, events } = recordedPipe()
    pipe.serverSide.onClose = () => {
      events.push('server saw the end')
      pipe.serverSide.close()
    }
    await until(() => events.includes('connect'), 'connect')
    pipe.gatewaySide.end(Buffer.from('bye'))
    await until(() => events.includes('close'), 'the close after a half-close')
    assert.deepEqual(events, ['connect', 'server got bye', 'server saw the end', 'close'])

    const second = recordedPipe()
    await until(() => second.events.includes('connect'), 'connect')
    second.pipe.serverSide.write(Buffer.from('unread'))
    second.pipe.gatewaySide.destroy()
    second.pipe.gatewaySide.destroy()
    await until(() => second.events.includes('server saw the end'), 'the server to see the end')
    await until(() => second.events.includes('close'), 'close')
    assert.deepEqual(second.events, ['connect', 'server saw the end', 'close'])
  })

  it('abort() is an error then a close; refuse fails without connecting', async () => {
    const { pipe, events } = recordedPipe()
    await until(() => events.includes('connect'), 'connect')
    pipe.serverSide.abort()
    await until(() => events.includes('close'), 'the close')
    assert.deepEqual(events, ['connect', 'error read ECONNRESET (memory)', 'close'])

    const refused = new MemoryPipe({ refuse: true }).gatewaySide
    const seen: string[] = []
    refused.on('connect', () => seen.push('connect'))
    refused.on('error', (e: Error) => seen.push(e.message))
    refused.on('close', () => seen.push('close'))
    await until(() => seen.includes('close'), 'the refused pipe to close')
    assert.deepEqual(seen, ['connect ECONNREFUSED (memory)', 'close'])
  })
})
