import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { COMMIT_LSN_SQL, CommitLsn } from './commit-lsn.js'
import type { ServerPool } from './server-pool.js'
import { FakeCluster } from './testing/fake-cluster.js'
import { FakeReplication } from './testing/fake-replication.js'
import { memoryPool } from './testing/memory-pool.js'
import { until } from './testing/until.js'

const opened: ServerPool[] = []
afterEach(() => {
  for (const pool of opened.splice(0)) pool.close()
})

/** A monitored pool whose monitor has connected; its readings come once a minute, out of the way. */
async function primary(settings: Parameters<typeof memoryPool>[0] = {}) {
  const cluster = new FakeCluster()
  const replication = new FakeReplication(cluster)
  const { pool } = memoryPool({ monitorInterval: 60_000, ...settings }, cluster)
  opened.push(pool)
  await until(() => pool.monitor!.reading !== undefined, 'the monitor connected')
  return { pool, replication, fake: cluster.servers[0]!, commitLsn: pool.commitLsn! }
}

/** Collects the LSNs given to callbacks, by name. */
class Answers {
  readonly got = new Map<string, bigint | undefined>()
  cb(name: string) {
    return (lsn: bigint | undefined) => {
      assert.ok(!this.got.has(name), `${name} answered twice`)
      this.got.set(name, lsn)
    }
  }
  done(...names: string[]): Promise<void> {
    return until(() => names.every((n) => this.got.has(n)), `answers for ${names.join(', ')}`)
  }
}

const commitQueries = (fake: { queries(): string[] }) => fake.queries().filter((q) => q === COMMIT_LSN_SQL)

describe('CommitLsn over a fake primary', () => {
  it('one request: the insert LSN, asked on the monitor connection', async () => {
    const { replication, fake, commitLsn } = await primary()
    replication.lsn = 0x16_b374d848n
    const answers = new Answers()
    commitLsn.request(answers.cb('a'))
    await answers.done('a')
    assert.equal(answers.got.get('a'), 0x16_b374d848n)
    assert.equal(commitQueries(fake).length, 1)
  })

  it('requests made while a query is in flight share the next one; none rides the one in flight', async () => {
    const { replication, fake, commitLsn } = await primary()
    const answers = new Answers()
    fake.hold()
    replication.lsn = 0x3001000n
    commitLsn.request(answers.cb('first')) // sent now, answered 0/3001000 when released
    await until(() => commitQueries(fake).length === 1, 'the first query at the server')
    replication.lsn = 0x3002000n // commits that finished after the first query was sent
    for (const name of ['b', 'c', 'd']) commitLsn.request(answers.cb(name))
    assert.equal(commitLsn.pending, 3)
    fake.release()
    await answers.done('first', 'b', 'c', 'd')
    assert.equal(answers.got.get('first'), 0x3001000n)
    for (const name of ['b', 'c', 'd']) assert.equal(answers.got.get(name), 0x3002000n, name)
    assert.equal(commitQueries(fake).length, 2, 'four requests, two queries')
    assert.deepEqual(commitLsn.counters, { requests: 4, queries: 2, failures: 0 })
  })

  it('a request made from inside a callback waits for a query of its own', async () => {
    const { replication, fake, commitLsn } = await primary()
    const answers = new Answers()
    commitLsn.request((lsn) => {
      answers.cb('outer')(lsn)
      replication.lsn = 0x4000000n
      commitLsn.request(answers.cb('inner'))
    })
    await answers.done('outer', 'inner')
    assert.equal(answers.got.get('inner'), 0x4000000n)
    assert.equal(commitQueries(fake).length, 2)
  })

  it('on a standby the query fails: undefined (the client reads from the primary)', async () => {
    const { replication, commitLsn } = await primary()
    replication.inRecovery = true
    const answers = new Answers()
    commitLsn.request(answers.cb('a'))
    await answers.done('a')
    assert.equal(answers.got.get('a'), undefined)
    assert.equal(commitLsn.counters.failures, 1)
  })

  it('no reply within the timeout: undefined, and the connection is closed', async () => {
    const { pool, fake, commitLsn } = await primary({ healthcheckTimeout: 30 })
    fake.hold()
    const answers = new Answers()
    commitLsn.request(answers.cb('a'))
    commitLsn.request(answers.cb('b'))
    await answers.done('a', 'b')
    assert.equal(answers.got.get('a'), undefined)
    assert.equal(answers.got.get('b'), undefined, 'the one waiting is not sent on a closed connection')
    assert.equal(fake.state, 'closed')
    assert.equal(pool.monitor!.connection, undefined)
  })

  it('no connection open: undefined at once', () => {
    const commitLsn = new CommitLsn(() => undefined, 1000)
    let answer: bigint | undefined | 'none' = 'none'
    commitLsn.request((lsn) => {
      answer = lsn
    })
    assert.equal(answer, undefined)
  })

  it('the connection lost mid-query: undefined; a throwing callback does not stop the others', async () => {
    const { fake, commitLsn } = await primary()
    fake.hold()
    const answers = new Answers()
    commitLsn.request(answers.cb('first'))
    commitLsn.request(() => {
      throw new Error('a careless caller')
    })
    commitLsn.request(answers.cb('a'))
    commitLsn.request(answers.cb('b'))
    fake.disconnect()
    await answers.done('first', 'a', 'b')
    assert.equal(answers.got.get('first'), undefined)
    assert.equal(answers.got.get('a'), undefined)
    assert.equal(answers.got.get('b'), undefined)
  })
})
