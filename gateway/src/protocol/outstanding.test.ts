import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BackendCode as B, FrontendCode as F } from './codes.js'
import { OutstandingRequests, type ReplyAction } from './outstanding.js'

/** Replays a transcript: `sent` then each reply; returns the tag each reply was attributed to. */
function replay(
  model: OutstandingRequests<string>,
  steps: Array<{ send: number[]; tag?: string } | { reply: number }>,
): Array<string | undefined> {
  const tags: Array<string | undefined> = []
  for (const step of steps) {
    if ('send' in step) for (const c of step.send) model.push(c, step.tag ?? 'a')
    else {
      model.reply(step.reply)
      tags.push(model.tag)
    }
  }
  return tags
}

const Z = { reply: B.ReadyForQuery }
const E = { reply: B.ErrorResponse }

describe('OutstandingRequests: how many ReadyForQuery Postgres sends', () => {
  it('a simple Query: rows, then one ReadyForQuery that finishes its tag', () => {
    const m = new OutstandingRequests<string>()
    replay(m, [
      { send: [F.Query] },
      { reply: B.RowDescription },
      { reply: B.DataRow },
      { reply: B.CommandComplete },
    ])
    assert.equal(m.size, 1)
    replay(m, [Z])
    assert.equal(m.tagDone, true)
    assert.equal(m.atReady, true)
  })

  it('Parse with an error + Query + Sync: the Query is discarded, one ReadyForQuery', () => {
    const m = new OutstandingRequests<string>()
    replay(m, [{ send: [F.Parse, F.Query, F.Sync] }, E])
    assert.equal(m.size, 1, 'only the Sync is left')
    replay(m, [Z])
    assert.equal(m.atReady, true)
  })

  it('Bind of an unknown statement + FunctionCall + Sync: one ReadyForQuery', () => {
    const m = new OutstandingRequests<string>()
    replay(m, [{ send: [F.Bind, F.FunctionCall, F.Sync] }, E, Z])
    assert.equal(m.atReady, true)
  })

  it('an error in a Query is followed by its own ReadyForQuery; the next Query still runs', () => {
    const m = new OutstandingRequests<string>()
    replay(m, [{ send: [F.Query, F.Query] }, E, Z])
    assert.equal(m.size, 1)
    assert.equal(m.tagDone, false)
    replay(m, [{ reply: B.CommandComplete }, Z])
    assert.equal(m.atReady, true)
  })

  it('an error before the Sync is sent waits for the Sync; messages in between are dropped', () => {
    const m = new OutstandingRequests<string>()
    let failed = 0
    const action: ReplyAction = { drop: false, onFailed: () => failed++ }
    replay(m, [{ send: [F.Parse, F.Bind] }, E])
    assert.equal(m.skippingToSync, true)
    m.push(F.Parse, 'a', action)
    m.push(F.Query, 'a')
    assert.equal(failed, 1, 'the Parse sent after the error is discarded by the server')
    assert.equal(m.size, 0)
    replay(m, [{ send: [F.Sync] }, Z])
    assert.equal(m.atReady, true)
  })

  it('an error at Sync (a failed commit) is followed by that Sync’s ReadyForQuery', () => {
    const m = new OutstandingRequests<string>()
    replay(m, [
      { send: [F.Parse, F.Bind, F.Execute, F.Sync] },
      { reply: B.ParseComplete },
      { reply: B.BindComplete },
      { reply: B.CommandComplete },
      E,
      Z,
    ])
    assert.equal(m.atReady, true)
  })

  it('Describe of a statement: ParameterDescription then RowDescription or NoData', () => {
    const m = new OutstandingRequests<string>()
    replay(m, [
      { send: [F.Parse, F.Describe, F.Describe, F.Sync] },
      { reply: B.ParseComplete },
      { reply: 0x74 }, // ParameterDescription
      { reply: B.RowDescription },
      { reply: 0x74 },
      { reply: B.NoData },
    ])
    assert.equal(m.size, 1)
    replay(m, [Z])
    assert.equal(m.atReady, true)
  })

  it('a RowDescription of a Query does not complete the Describe queued behind it', () => {
    const m = new OutstandingRequests<string>()
    replay(m, [{ send: [F.Query, F.Describe, F.Sync] }, { reply: B.RowDescription }])
    assert.equal(m.size, 3)
  })
})

describe('OutstandingRequests: COPY FROM STDIN', () => {
  it('a Sync inside a simple-Query COPY is read by the COPY: one ReadyForQuery', () => {
    const m = new OutstandingRequests<string>()
    replay(m, [
      { send: [F.Query] },
      { reply: B.CopyInResponse },
      { send: [F.CopyData, F.Sync, F.CopyData, F.CopyDone] },
      { reply: B.CommandComplete },
      Z,
    ])
    assert.equal(m.atReady, true)
  })

  it("libpq's PQexecParams COPY: P B D E S, then d c S — the first Sync is read by the COPY", () => {
    const m = new OutstandingRequests<string>()
    replay(m, [
      { send: [F.Parse, F.Bind, F.Describe, F.Execute, F.Sync] },
      { reply: B.ParseComplete },
      { reply: B.BindComplete },
      { reply: B.NoData },
      { reply: B.CopyInResponse },
    ])
    assert.equal(m.size, 1, 'the Sync was consumed by the COPY')
    replay(m, [{ send: [F.CopyData, F.CopyData, F.CopyDone, F.Sync] }, { reply: B.CommandComplete }, Z])
    assert.equal(m.atReady, true)
  })

  it('COPY pipelined with its data: the data queued before CopyInResponse is read by the COPY', () => {
    const m = new OutstandingRequests<string>()
    replay(m, [
      { send: [F.Query, F.CopyData, F.CopyData, F.CopyDone, F.Query] },
      { reply: B.CopyInResponse },
      { reply: B.CommandComplete },
      Z,
    ])
    assert.equal(m.tagDone, false, 'the second Query is still due')
    replay(m, [{ reply: B.CommandComplete }, Z])
    assert.equal(m.atReady, true)
  })

  it('CopyFail in an extended-protocol COPY: error, then discard until the next Sync', () => {
    const m = new OutstandingRequests<string>()
    replay(m, [
      { send: [F.Parse, F.Bind, F.Execute, F.Sync] },
      { reply: B.ParseComplete },
      { reply: B.BindComplete },
      { reply: B.CopyInResponse },
      { send: [F.CopyFail] },
      E,
    ])
    assert.equal(m.skippingToSync, true)
    replay(m, [{ send: [F.Sync] }, Z])
    assert.equal(m.atReady, true)
  })

  it('bad data in a simple-Query COPY: ReadyForQuery, then the rest of the data is ignored', () => {
    const m = new OutstandingRequests<string>()
    replay(m, [{ send: [F.Query] }, { reply: B.CopyInResponse }, { send: [F.CopyData] }, E, Z])
    assert.equal(m.atReady, true)
    m.push(F.CopyData, 'a')
    m.push(F.CopyDone, 'a')
    assert.equal(m.size, 0, 'stray copy messages get no reply')
    assert.equal(m.desynced, false)
  })

  it('a COPY that fails after reading a Sync between its data marks the count as uncertain', () => {
    const m = new OutstandingRequests<string>()
    replay(m, [
      { send: [F.Query] },
      { reply: B.CopyInResponse },
      { send: [F.CopyData, F.Sync, F.CopyData] },
      E,
    ])
    assert.equal(m.desynced, true)
  })
})

describe('OutstandingRequests: tags and actions', () => {
  it('replies go to the tag of the message they answer; tagDone when the next tag starts', () => {
    const m = new OutstandingRequests<string>()
    m.push(F.Query, 'internal')
    m.push(F.Query, 'client')
    const tags = replay(m, [{ reply: B.CommandComplete }, Z])
    assert.deepEqual(tags, ['internal', 'internal'])
    assert.equal(m.tagDone, true)
    replay(m, [{ reply: B.DataRow }])
    assert.equal(m.tag, 'client')
  })

  it('a message with nothing outstanding (a NOTIFY) has no tag', () => {
    const m = new OutstandingRequests<string>()
    m.reply(0x41)
    assert.equal(m.tag, undefined)
  })

  it('actions hear of completion and of failure by error or by skip', () => {
    const m = new OutstandingRequests<string>()
    const log: string[] = []
    const act = (name: string): ReplyAction => ({
      drop: true,
      onDone: () => log.push(`${name} done`),
      onFailed: () => log.push(`${name} failed`),
    })
    m.push(F.Parse, 'a', act('p1'))
    m.push(F.Parse, 'a', act('p2'))
    m.push(F.Bind, 'a', act('b'))
    m.push(F.Sync, 'a')
    m.reply(B.ParseComplete)
    assert.equal(m.action?.drop, true)
    m.reply(B.ErrorResponse)
    m.reply(B.ReadyForQuery)
    assert.deepEqual(log, ['p1 done', 'p2 failed', 'b failed'])
  })

  it('runs of one message type are stored once', () => {
    const m = new OutstandingRequests<string>()
    for (let i = 0; i < 1000; i++) m.push(F.Query, 'a')
    assert.equal(m.size, 1)
    for (let i = 0; i < 999; i++) m.reply(B.ReadyForQuery)
    assert.equal(m.tagDone, false)
    m.reply(B.ReadyForQuery)
    assert.equal(m.atReady, true)
  })

  it('a ReadyForQuery nobody asked for marks the model desynced', () => {
    const m = new OutstandingRequests<string>()
    m.reply(B.ReadyForQuery)
    assert.equal(m.desynced, true)
  })
})
