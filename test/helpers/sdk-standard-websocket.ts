/**
 * Run as a child process with `node --experimental-websocket` (Node 20's standard, undici WebSocket,
 * the API Workers and browsers have): a client made without a `WebSocket` option runs a transaction and
 * a query, and prints what they returned. Reads SKIFF_SDK_CONFIG (JSON of createClient's options).
 * @module
 */
import { createClient } from '../../client-sdk/src/index.js'

const db = createClient(JSON.parse(process.env.SKIFF_SDK_CONFIG ?? '{}'))
const inTx = await db.transaction(async (tx) => {
  await tx.transaction((inner) => inner`select 1`)
  return (await tx<{ v: number }>`select ${41}::int + 1 as v`)[0]!.v
})
const overHttp = (await db<{ v: number }>`select 7 as v`)[0]!.v
console.log(JSON.stringify({ inTx, overHttp }))
