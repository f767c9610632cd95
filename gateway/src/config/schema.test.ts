import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { issues, load, type Table } from './testing/fixtures.js'

const pool = (patch: Table): Table => ({ pools: { app: patch } })
const user = (patch: Table, index = '0'): Table => pool({ users: { [index]: patch } })
const shard = (patch: Table, index = '0'): Table => pool({ shards: { [index]: patch } })

describe('defaults', () => {
  test('general keys get PgCat defaults and Skiff additions get theirs', () => {
    const { general } = load().config
    assert.equal(general.host, '0.0.0.0')
    assert.equal(general.port, 6432)
    assert.equal(general.connect_timeout, 1000)
    assert.equal(general.idle_timeout, 30000)
    assert.equal(general.server_lifetime, 86400000)
    assert.equal(general.idle_client_in_transaction_timeout, 0)
    assert.equal(general.healthcheck_timeout, 1000)
    assert.equal(general.healthcheck_delay, 30000)
    assert.equal(general.shutdown_timeout, 60000)
    assert.equal(general.ban_time, 60)
    assert.equal(general.worker_threads, 5)
    assert.equal(general.prometheus_exporter_port, 9930)
    assert.equal(general.prepared_statements_cache_size, 500)
    assert.equal(general.auth_type, 'scram-sha-256')
    assert.equal(general.query_wait_timeout, 120000)
    assert.equal(general.max_client_conn, 10000)
    assert.equal(general.server_reset_query, 'DISCARD ALL')
    assert.equal(general.application_name, '')
  })

  test('pool, user and shard keys get their defaults', () => {
    const app = load().config.pools.app!
    assert.equal(app.pool_mode, 'transaction')
    assert.equal(app.default_role, 'any')
    assert.equal(app.load_balancing_mode, 'random')
    assert.equal(app.sharding_function, 'pg_bigint_hash')
    assert.equal(app.default_shard, 'shard_0')
    assert.equal(app.regex_search_limit, 1000)
    assert.equal(app.checkout_failure_limit, 0)
    assert.equal(app.idle_timeout, undefined)
    assert.deepEqual(app.users['0'], {
      username: 'alice',
      password: 'alice_pw',
      pool_size: 9,
      min_pool_size: 0,
      statement_timeout: 0,
    })
  })
})

describe('servers and mirrors', () => {
  test('[host, port, role] tuples become objects, roles case-insensitively', () => {
    const config = load(
      shard({
        servers: [
          ['10.0.0.1', 5432, 'Primary'],
          ['10.0.0.2', 5433, 'replica', 3],
        ],
        mirrors: [['10.0.0.9', 5432, 1]],
      }),
    ).config
    const first = config.pools.app!.shards['0']!
    assert.deepEqual(first.servers, [
      { host: '10.0.0.1', port: 5432, role: 'primary', weight: 1 },
      { host: '10.0.0.2', port: 5433, role: 'replica', weight: 3 },
    ])
    assert.deepEqual(first.mirrors, [{ host: '10.0.0.9', port: 5432, server_index: 1 }])
  })

  test('a malformed entry names the expected shape', () => {
    assert.deepEqual(issues(shard({ servers: [['10.0.0.1', 5432]] })), [
      'pools.app.shards.0.servers.0: expected [host, port, role] or [host, port, role, weight], e.g. ["127.0.0.1", 5432, "replica", 2]',
    ])
    assert.deepEqual(issues(shard({ servers: [['10.0.0.1', 5432, 'primary', 1, 2]] })), [
      'pools.app.shards.0.servers.0: expected [host, port, role] or [host, port, role, weight], e.g. ["127.0.0.1", 5432, "replica", 2]',
    ])
  })
})

describe('single-key rules', () => {
  const cases: [string, Table, string][] = [
    [
      'general port above range',
      { general: { port: 70000 } },
      'general.port: must be at most 65535, got 70000',
    ],
    [
      'server port zero',
      shard({ servers: [['h', 0, 'primary']] }),
      'pools.app.shards.0.servers.0.1: must be at least 1, got 0',
    ],
    ['pool_size zero', user({ pool_size: 0 }), 'pools.app.users.0.pool_size: must be at least 1, got 0'],
    [
      'string for number',
      user({ pool_size: 'ten' }),
      'pools.app.users.0.pool_size: expected a number, got "ten"',
    ],
    [
      'bad enum',
      pool({ pool_mode: 'txn' }),
      'pools.app.pool_mode: expected "transaction" or "session", got "txn"',
    ],
    [
      'missing key',
      shard({ database: undefined }),
      'pools.app.shards.0.database: missing; this key is required',
    ],
  ]
  for (const [name, patch, expected] of cases) {
    test(name, () => assert.deepEqual(issues(patch), [expected]))
  }
})

describe('cross-field rules', () => {
  const cases: [string, Table, string][] = [
    [
      'no servers',
      shard({ servers: [] }),
      'pools.app.shards.0: no servers; add a [host, port, "primary"] entry to servers',
    ],
    [
      'two primaries',
      shard({
        servers: [
          ['a', 1, 'primary'],
          ['b', 1, 'replica'],
          ['c', 1, 'primary'],
        ],
      }),
      'pools.app.shards.0: 2 servers have role "primary" (servers.0, servers.2); keep one and make the others "replica"',
    ],
    [
      'duplicate server',
      shard({
        servers: [
          ['a', 1, 'replica'],
          ['b', 1, 'primary'],
          ['a', 1, 'replica'],
        ],
      }),
      'pools.app.shards.0.servers.2: a:1 as replica is already listed as servers.0; list each server once per role',
    ],
    [
      'mirror of a missing server',
      shard({ mirrors: [['m', 1, 1]] }),
      'pools.app.shards.0.mirrors.0: server_index 1 does not exist; servers has entries 0..0',
    ],
    [
      'gap in shard numbers',
      shard({ servers: [['h', 1, 'primary']], database: 'd' }, '2'),
      'pools.app.shards: shards must be numbered 0..1 without gaps; found 0, 2, missing 1',
    ],
    [
      'non-numeric shard key',
      shard({ servers: [['h', 1, 'primary']], database: 'd' }, 'one'),
      'pools.app.shards.one: shard keys must be the numbers 0, 1, 2, ...; rename this table',
    ],
    [
      'min_pool_size above pool_size',
      user({ pool_size: 2, min_pool_size: 3 }),
      'pools.app.users.0.min_pool_size: 3 is larger than pool_size (2); lower min_pool_size or raise pool_size',
    ],
    [
      'duplicate username',
      user({ username: 'alice', password: 'x' }, '1'),
      'pools.app.users.1.username: "alice" is already used by pools.app.users.0; usernames must be unique within a pool',
    ],
    [
      'password missing for scram',
      user({ password: undefined }),
      'pools.app.users.0.password: missing; user "alice" logs in with scram-sha-256 (from general.auth_type), which needs a password. Set password, or auth_query for the pool, or auth_type = "trust"',
    ],
    [
      'md5 secret with scram',
      user({ password: `md5${'0'.repeat(32)}` }),
      'pools.app.users.0.password: an md5 secret cannot check scram-sha-256 logins (from general.auth_type); use the plaintext password or a SCRAM-SHA-256 secret, or set auth_type = "md5"',
    ],
    [
      'scram secret with md5',
      user({ auth_type: 'md5', password: 'SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy' }),
      'pools.app.users.0.password: a SCRAM-SHA-256 secret cannot check md5 logins (from its auth_type); use the plaintext password or an md5 secret, or set auth_type = "scram-sha-256"',
    ],
    [
      'malformed scram secret',
      user({ password: 'SCRAM-SHA-256$oops' }),
      'pools.app.users.0.password: starts like a SCRAM-SHA-256 secret but is malformed; expected "SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>"',
    ],
    [
      'read/write splitting without the parser',
      pool({ query_parser_read_write_splitting: true }),
      'pools.app.query_parser_read_write_splitting: only works when query_parser_enabled = true; set query_parser_enabled = true or remove this key',
    ],
    [
      'default_shard format',
      pool({ default_shard: 'first' }),
      'pools.app.default_shard: expected "shard_<n>", "random" or "random_healthy", got "first"',
    ],
    [
      'default_shard range',
      pool({ default_shard: 'shard_1' }),
      'pools.app.default_shard: "shard_1" does not exist; pools.app has 1 shard (shard_0)',
    ],
    [
      'pool named like the admin database',
      { pools: { pgbouncer: {} } },
      'pools.pgbouncer: "pgbouncer" is the name of the admin database, so clients could never reach this pool; rename the table, e.g. [pools.pgbouncer_app]',
    ],
    [
      'tls certificate without key',
      { general: { tls_certificate: 'server.crt' } },
      'general.tls_private_key: required when tls_certificate is set; add the path of its private key',
    ],
    [
      'auth_query without credentials',
      { general: { auth_query: 'SELECT 1', auth_query_user: 'u' } },
      'general.auth_query_password: required when auth_query is set; add auth_query_password (or remove auth_query)',
    ],
    [
      'automatic_sharding_key without a table',
      pool({ automatic_sharding_key: 'id' }),
      'pools.app.automatic_sharding_key: must name a table and a column as "table.column", got "id"',
    ],
    [
      'invalid regex',
      pool({ sharding_key_regex: '(' }),
      'pools.app.sharding_key_regex: is not a valid regular expression (Unterminated group); fix the pattern or remove the key',
    ],
    [
      'no pools',
      { pools: undefined },
      'pools: no pools defined; add a [pools.<database>] table with at least one user and one shard',
    ],
  ]
  for (const [name, patch, expected] of cases) {
    test(name, () =>
      assert.ok(issues(patch).includes(expected), `missing: ${expected}\ngot: ${issues(patch).join('\n')}`),
    )
  }

  test('trust users need no password; random default shards are fine', () => {
    const { config } = load({
      general: { auth_type: 'trust' },
      pools: { app: { default_shard: 'random_healthy', users: { '0': { password: undefined } } } },
    })
    assert.equal(config.pools.app!.users['0']!.password, undefined)
  })
})
