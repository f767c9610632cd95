import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { describe, test } from 'node:test'
import { stringify } from 'smol-toml'
import { ConfigError, effectiveUserSettings, loadConfigFile, parseConfigText, redactConfig } from './load.js'
import { configError, load, merge, validRaw } from './testing/fixtures.js'

const SECRET = 'hunter2-do-not-print'
const exampleDir = new URL('../../../infra/config/', import.meta.url)

describe('ConfigError', () => {
  test('has a name, one issue per problem and lists them in the message', () => {
    const error = configError('[general]\nadmin_username = "a"\nadmin_password = "b"\nport = "x"\n')
    assert.equal(error.name, 'ConfigError')
    // Cross-field rules (such as "no pools") wait until every key has the right type.
    assert.deepEqual(error.issues, ['general.port: expected a number, got "x"'])
    assert.match(error.message, /^invalid config in test\.toml:\n {2}- general\.port: /)
  })

  test('a TOML syntax error gives file, line and column', () => {
    assert.deepEqual(configError('[general]\nport = = 1\n').issues, [
      'test.toml:2:8: invalid TOML: invalid value',
    ])
  })

  test('an unreadable file is a ConfigError too', async () => {
    await assert.rejects(loadConfigFile('/nonexistent/skiff.toml'), (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.deepEqual(error.issues, ['/nonexistent/skiff.toml: cannot read the file (ENOENT)'])
      return true
    })
  })
})

describe('secrets never appear in errors or warnings', () => {
  const leaks = (text: string) => assert.ok(!text.includes(SECRET), `leaked the password in: ${text}`)

  test('wrongly typed password values are shown as <redacted>', () => {
    const raw = merge(validRaw(), {
      general: { admin_password: [SECRET] },
      pools: { app: { users: { '0': { server_password: { value: SECRET } } } } },
    })
    const error = configError(stringify(raw))
    assert.deepEqual(error.issues, [
      'general.admin_password: expected a string, got <redacted>',
      'pools.app.users.0.server_password: expected a string, got <redacted>',
    ])
    leaks(`${error.message}\n${error.stack}`)
  })

  test('TOML errors do not echo the offending line', () => {
    const error = configError(`[general]\nadmin_password = "${SECRET}\n`)
    leaks(`${error.message}\n${error.stack}`)
  })

  test('cross-field errors and warnings name keys, not values', () => {
    const raw = merge(validRaw(), {
      pools: { app: { users: { '0': { password: `SCRAM-SHA-256$${SECRET}`, min_pool_size: 99 } } } },
    })
    const error = configError(stringify(raw))
    assert.equal(error.issues.length, 2) // min_pool_size and the malformed secret
    leaks(error.message)
    const { warnings } = parseConfigText(
      stringify(merge(validRaw(), { general: { admin_pasword: SECRET } })),
      't',
    )
    assert.deepEqual(warnings, [
      'unknown key "general.admin_pasword" (ignored); did you mean "admin_password"?',
    ])
  })

  test('redactConfig replaces every password and leaves the original alone', () => {
    const { config } = load({
      general: { auth_query_password: SECRET },
      pools: { app: { users: { '0': { password: SECRET, server_password: SECRET } } } },
    })
    const redacted = redactConfig(config)
    leaks(JSON.stringify(redacted))
    assert.equal(redacted.general.admin_password, '<redacted>')
    assert.equal(redacted.pools.app!.users['0']!.server_password, '<redacted>')
    assert.equal(config.pools.app!.users['0']!.password, SECRET)
    assert.equal(redactConfig(load().config).pools.app!.users['0']!.server_password, undefined)
  })
})

describe('warnings', () => {
  test('unknown keys at every level, with a suggestion when one is close', () => {
    const { warnings } = load({
      colour: 'blue',
      general: { conect_timeout: 5 },
      pools: {
        app: { pool_mod: 'session', users: { '0': { pool_szie: 3 } }, shards: { '0': { databse: 'x' } } },
      },
    })
    assert.deepEqual(warnings, [
      'unknown key "colour" (ignored)',
      'unknown key "general.conect_timeout" (ignored); did you mean "connect_timeout"?',
      'unknown key "pools.app.pool_mod" (ignored); did you mean "pool_mode"?',
      'unknown key "pools.app.users.0.pool_szie" (ignored); did you mean "pool_size"?',
      'unknown key "pools.app.shards.0.databse" (ignored); did you mean "database"?',
    ])
  })

  test('unknownKeys holds the unknown-key messages alone (for check-config --strict)', () => {
    const { unknownKeys } = load({ general: { prot: 1, server_tls: true } })
    assert.deepEqual(unknownKeys, ['unknown key "general.prot" (ignored); did you mean "port"?'])
  })

  test('PgCat keys Skiff does not act on yet warn only when set away from the default', () => {
    const { warnings, unknownKeys } = load({ general: { dns_cache_enabled: true, validate_config: true } })
    assert.deepEqual(warnings, [
      '1 key is accepted for PgCat compatibility but not acted on by Skiff yet: general.dns_cache_enabled',
    ])
    assert.deepEqual(unknownKeys, [])
  })

  test('every ignored key is named in ONE line, after the unknown keys', () => {
    const { warnings } = load({
      general: { dns_cache_enabled: true, colour: 'blue' },
      plugins: {},
      pools: { app: { cleanup_server_connections: false } },
    })
    assert.deepEqual(warnings, [
      'unknown key "general.colour" (ignored)',
      '3 keys are accepted for PgCat compatibility but not acted on by Skiff yet: general.dns_cache_enabled, pools.app.cleanup_server_connections, plugins',
    ])
  })
})

describe('http.host', () => {
  test('unset, the HTTP listener binds general.host', () => {
    assert.equal(load({ general: { host: '127.0.0.1' } }).config.http.host, '127.0.0.1')
    assert.equal(load({}).config.http.host, load({}).config.general.host)
  })

  test('set, it wins over general.host', () => {
    const { config } = load({ general: { host: '127.0.0.1' }, http: { host: '0.0.0.0' } })
    assert.equal(config.http.host, '0.0.0.0')
    assert.equal(config.general.host, '127.0.0.1')
  })
})

test('effectiveUserSettings: user beats pool beats general', () => {
  const { config } = load({
    pools: { app: { pool_mode: 'session', idle_timeout: 5000, users: { '0': { connect_timeout: 10 } } } },
  })
  const app = config.pools.app!
  assert.deepEqual(effectiveUserSettings(app, app.users['0']!, config.general), {
    pool_mode: 'session',
    connect_timeout: 10,
    idle_timeout: 5000,
    server_lifetime: 86400000,
    auth_type: 'scram-sha-256',
  })
})

describe('shipped config files', () => {
  for (const name of ['skiff.example.toml', 'skiff.minimal.toml']) {
    test(`${name} loads with no warnings`, async () => {
      const path = new URL(name, exampleDir).pathname
      const { config, warnings } = await loadConfigFile(path)
      assert.deepEqual(warnings, [])
      assert.equal(config.pools.skiff!.shards['0']!.servers[0]!.role, 'primary')
    })
  }

  test('the example has the users and shards the docs promise', async () => {
    const text = await readFile(new URL('skiff.example.toml', exampleDir), 'utf8')
    const { config } = parseConfigText(text, 'skiff.example.toml')
    const users = Object.values(config.pools.skiff!.users).map((u) => [
      u.username,
      u.auth_type ?? config.general.auth_type,
    ])
    assert.deepEqual(users, [
      ['skiff_scram', 'scram-sha-256'],
      ['skiff_md5', 'md5'],
    ])
    assert.deepEqual(
      config.pools.skiff!.shards['0']!.servers.map((s) => s.port),
      [5432, 5433, 5434],
    )
    assert.deepEqual(Object.keys(config.pools.sharded!.shards), ['0', '1', '2'])
  })
})
