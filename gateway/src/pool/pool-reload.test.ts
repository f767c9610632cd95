import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { stringify } from 'smol-toml'
import { parseConfigText } from '../config/load.js'
import type { Config } from '../config/schema.js'
import { merge, type Table, validRaw } from '../config/testing/fixtures.js'
import { buildPools } from './build-pools.js'
import { planPoolReload } from './pool-reload.js'

const BOB = { username: 'bob', password: 'bob_pw' }

function loaded(raw: Table): Config {
  return parseConfigText(stringify(raw), 'test.toml').config
}

describe('planPoolReload: which pools a reload keeps, replaces, adds and removes', () => {
  it('keeps the pool object of an unchanged (database, user) pair', () => {
    const config = loaded(validRaw())
    const current = buildPools(config)
    const plan = planPoolReload(current, config, loaded(validRaw()))
    assert.equal(plan.pools.get('app')?.get('alice'), current.get('app')?.get('alice'))
    assert.deepEqual([plan.added, plan.changed, plan.removed, plan.retired], [[], [], [], []])
  })

  it('replaces the pool whose pool_size changed and retires the old one; the other user stays', () => {
    const two = merge(validRaw(), { pools: { app: { users: { '1': BOB } } } })
    const config = loaded(two)
    const current = buildPools(config)
    const next = loaded(merge(two, { pools: { app: { users: { '0': { pool_size: 20 } } } } }))
    const plan = planPoolReload(current, config, next)
    const alice = plan.pools.get('app')?.get('alice')
    assert.notEqual(alice, current.get('app')?.get('alice'))
    assert.equal([...alice!.serverPools()][0]!.settings.poolSize, 20)
    assert.equal(plan.pools.get('app')?.get('bob'), current.get('app')?.get('bob'))
    assert.deepEqual(plan.changed, ['app/alice'])
    assert.deepEqual(plan.retired, [current.get('app')?.get('alice')])
  })

  it('a [general] key pools read rebuilds them all; one they do not read rebuilds none', () => {
    const config = loaded(validRaw())
    const current = buildPools(config)
    const logOnly = planPoolReload(
      current,
      config,
      loaded(merge(validRaw(), { general: { max_client_conn: 7, shutdown_timeout: 5 } })),
    )
    assert.deepEqual(logOnly.changed, [])
    const timeout = planPoolReload(
      current,
      config,
      loaded(merge(validRaw(), { general: { idle_timeout: 5 } })),
    )
    assert.deepEqual(timeout.changed, ['app/alice'])
  })

  it('names added and removed pools; removed ones are retired', () => {
    const config = loaded(validRaw())
    const current = buildPools(config)
    const renamed = validRaw()
    const pools = renamed.pools as Record<string, unknown>
    pools.other = pools.app
    delete pools.app
    const plan = planPoolReload(current, config, loaded(renamed))
    assert.deepEqual(plan.added, ['other/alice'])
    assert.deepEqual(plan.removed, ['app/alice'])
    assert.deepEqual(plan.retired, [current.get('app')?.get('alice')])
    assert.equal(plan.pools.get('app'), undefined)
  })
})
