import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseErrorFields } from './backend-decode.js'
import { BackendCode as B } from './codes.js'
import { MessageFramer } from './framer.js'
import { ReplyMerger } from './reply-merger.js'
import { SCENARIOS, type Scenario } from './testing/merge-scenarios.js'

/** Bytes around every push, so a merger that reads outside `[start, end)` gets garbage. */
const PAD = Buffer.from([0xde, 0xad, 0xbe, 0xef])

/** One push: messages `[from, to)` of `server`'s stream. */
interface Push {
  server: number
  from: number
  to: number
}

/** Runs `pushes` through a merger; returns the client output and the merger. */
function run(s: Scenario, pushes: Push[]): { output: Buffer; merger: ReplyMerger } {
  const chunks: Buffer[] = []
  const merger = new ReplyMerger(s.servers.length, (b) => chunks.push(Buffer.from(b)))
  merger.expectReady(s.ready ?? 1)
  for (const p of pushes) {
    const body = Buffer.concat(s.servers[p.server]!.slice(p.from, p.to))
    merger.push(p.server, Buffer.concat([PAD, body, PAD]), PAD.length, PAD.length + body.length)
  }
  return { output: Buffer.concat(chunks), merger }
}

/** Each server's stream cut in two at `cuts[i]` (every message boundary, or the same relative one). */
function cutPlans(s: Scenario): number[][] {
  const sizes = s.servers.map((m) => m.length)
  const combos = sizes.reduce((n, m) => n * (m + 1), 1)
  if (combos <= 400) {
    let plans: number[][] = [[]]
    for (const m of sizes) plans = plans.flatMap((p) => Array.from({ length: m + 1 }, (_, b) => [...p, b]))
    return plans
  }
  const longest = Math.max(...sizes)
  return Array.from({ length: longest + 1 }, (_, b) => sizes.map((m) => Math.min(b, m)))
}

/** The orders in which the servers' two pushes are interleaved. */
const ORDERS: Record<string, (n: number) => Array<[server: number, part: 0 | 1]>> = {
  'round robin': (n) => [0, 1].flatMap((part) => servers(n).map((i) => [i, part] as [number, 0 | 1])),
  'server 0 entirely first': (n) => servers(n).flatMap((i) => [[i, 0] as [number, 0], [i, 1] as [number, 1]]),
  'last server entirely first': (n) =>
    servers(n)
      .reverse()
      .flatMap((i) => [[i, 0] as [number, 0], [i, 1] as [number, 1]]),
}
const servers = (n: number) => Array.from({ length: n }, (_, i) => i)

function pushesFor(s: Scenario, cuts: number[], order: string): Push[] {
  return ORDERS[order]!(s.servers.length).map(([server, part]) => {
    const m = s.servers[server]!.length
    return part === 0 ? { server, from: 0, to: cuts[server]! } : { server, from: cuts[server]!, to: m }
  })
}

/** One message at a time, round robin (the other extreme of cutting). */
function oneByOne(s: Scenario): Push[] {
  const pushes: Push[] = []
  const longest = Math.max(...s.servers.map((m) => m.length))
  for (let k = 0; k < longest; k++)
    for (let i = 0; i < s.servers.length; i++)
      if (k < s.servers[i]!.length) pushes.push({ server: i, from: k, to: k + 1 })
  return pushes
}

/**
 * A stream's shape: its fixed messages (hex) in order, and between each two of them, the floating ones
 * (rows, COPY data, notices, notifications, ParameterStatus) grouped by the server they came from.
 */
interface Shape {
  fixed: string[]
  runs: Array<Map<string, string[]>>
}

const FLOATING = new Set<number>([
  B.DataRow,
  B.CopyData,
  B.NoticeResponse,
  B.NotificationResponse,
  B.ParameterStatus,
])

/** The server a floating test message names (scenarios put "s<i>" at the start of each). */
function sourceOf(msg: Buffer): string {
  const text =
    msg[0] === B.NoticeResponse ? parseErrorFields(msg, 0, msg.length).get('M')! : msg.toString('latin1')
  return /s\d/.exec(text)?.[0] ?? '?'
}

function shapeOf(stream: Buffer): Shape {
  const framer = new MessageFramer()
  framer.push(stream)
  const shape: Shape = { fixed: [], runs: [new Map()] }
  while (framer.next()) {
    const msg = framer.buffer.subarray(framer.start, framer.end)
    if (!FLOATING.has(framer.code)) {
      shape.fixed.push(msg.toString('hex'))
      shape.runs.push(new Map())
      continue
    }
    const run = shape.runs.at(-1)!
    const list = run.get(sourceOf(msg)) ?? []
    run.set(sourceOf(msg), [...list, msg.toString('hex')])
  }
  assert.equal(framer.pending, 0, 'the output ends with a whole message')
  return shape
}

/**
 * The output has the expected fixed messages in order, and between them each server's floating
 * messages in its own order: all of them, or (`cut`, where an error may have stopped a server) a prefix.
 */
function assertShape(output: Buffer, s: Scenario, where: string): void {
  const got = shapeOf(output)
  const want = shapeOf(Buffer.concat(s.expected))
  assert.deepEqual(got.fixed, want.fixed, `${where}: fixed messages`)
  for (const [r, run] of want.runs.entries()) {
    const gotRun = got.runs[r]!
    for (const source of new Set([...run.keys(), ...gotRun.keys()])) {
      const g = gotRun.get(source) ?? []
      const w = run.get(source) ?? []
      if (s.cut) assert.deepEqual(g, w.slice(0, g.length), `${where}: run ${r}, ${source} (a prefix)`)
      else assert.deepEqual(g, w, `${where}: run ${r}, ${source}`)
    }
  }
}

describe('ReplyMerger: every scenario, every cut, every order', () => {
  for (const s of SCENARIOS) {
    it(s.name, () => {
      for (const order of Object.keys(ORDERS)) {
        let first: Buffer | undefined
        for (const cuts of cutPlans(s)) {
          const where = `${order}, cut at ${cuts.join('/')}`
          const { output, merger } = run(s, pushesFor(s, cuts, order))
          assertShape(output, s, where)
          assert.equal(merger.done, true, `${where}: done`)
          assert.equal(merger.failed, false)
          if (order !== 'server 0 entirely first') continue
          // Held input is released lowest server first, so this order gives one exact stream.
          first ??= output
          assert.deepEqual(output, first, `${where}: the same bytes at every cut`)
          if (!s.cut) assert.deepEqual(output, Buffer.concat(s.expected), `${where}: the expected stream`)
        }
      }
      const { output } = run(s, oneByOne(s))
      assertShape(output, s, 'one message at a time')
    })
  }
})
