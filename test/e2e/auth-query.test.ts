/**
 * auth_query (issue 21): users listed without a password get their secret from the server. A private
 * one-server topology, whose pg_hba makes skiff_scram log in with scram-sha-256 and skiff_md5 with md5,
 * so Skiff's own server logins for them need the secret (md5) or the ClientKey a client revealed
 * (SCRAM); the auth_query user is the cleartext user skiff_plain, reading pg_shadow through a SECURITY
 * DEFINER function as PgBouncer's docs suggest. Passwords are changed on this server only.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { parseConfigText } from '../../gateway/src/config/load.js'
import { Gateway } from '../../gateway/src/gateway.js'
import { serializeStartupMessage } from '../../gateway/src/protocol/frontend.js'
import { startTopology, type Topology } from '../../infra/src/topology.js'
import { pgTool, run } from '../helpers/clients.js'
import { RawSocket } from '../helpers/raw-socket.js'

const LOOKUP_SQL = `
CREATE SCHEMA skiff_auth;
CREATE FUNCTION skiff_auth.lookup(p_user text) RETURNS TABLE (usename name, passwd text)
  LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
  AS $$ SELECT usename, passwd FROM pg_shadow WHERE usename = p_user $$;
REVOKE ALL ON FUNCTION skiff_auth.lookup(text) FROM PUBLIC;
GRANT USAGE ON SCHEMA skiff_auth TO skiff_plain;
GRANT EXECUTE ON FUNCTION skiff_auth.lookup(text) TO skiff_plain;
`

const users = (db: string) =>
  ['skiff_scram', 'skiff_md5', 'skiff_ghost']
    .map((u, i) => `[pools.${db}.users.${i}]\nusername = "${u}"\npool_size = 2\n`)
    .join('\n')

/** One more pool on the same database, with its own (cold) auth_query cache. */
const pool = (name: string, port: number, database: string) => `
[pools.${name}]
pool_mode = "transaction"

[pools.${name}.shards.0]
database = "${database}"
servers = [["127.0.0.1", ${port}, "primary"]]

${users(name)}
`

function configText(port: number, database: string): string {
  return `
[general]
host = "127.0.0.1"
port = 0
admin_username = "skiff_admin"
admin_password = "skiff_admin_pw"
connect_timeout = 3000
auth_query = "SELECT * FROM skiff_auth.lookup($1)"
auth_query_user = "skiff_plain"
auth_query_password = "skiff_plain_pw"

[http]
host = "127.0.0.1"
port = 0

[pools.${database}]
pool_mode = "transaction"

[pools.${database}.shards.0]
database = "${database}"
servers = [["127.0.0.1", ${port}, "primary"]]

${users(database)}

${['cold', 'http_cold'].map((name) => pool(name, port, database)).join('\n')}

[pools.bad_auth_query]
pool_mode = "transaction"
auth_query_password = "not-the-password"

[pools.bad_auth_query.shards.0]
database = "${database}"
servers = [["127.0.0.1", ${port}, "primary"]]

${users('bad_auth_query')}
`
}

describe('auth_query', () => {
  let topo: Topology
  let gateway: Gateway
  let superuser: pg.Client
  const passwords = { skiff_scram: 'skiff_scram_pw', skiff_md5: 'skiff_md5_pw' }

  const url = (user: string, password: string, database = topo.database) =>
    `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${gateway.port}/${database}`

  /** Logs in through Skiff with node-postgres and returns the server's current_user. */
  async function currentUser(user: string, password: string, database?: string): Promise<string> {
    const client = new pg.Client({ connectionString: url(user, password, database) })
    client.on('error', () => {})
    await client.connect()
    try {
      return (await client.query('SELECT current_user AS u')).rows[0].u
    } finally {
      await client.end()
    }
  }

  /** The SQLSTATE and message a failed login gets. */
  async function loginError(user: string, password: string, database?: string) {
    const error = await currentUser(user, password, database).then(
      () => undefined,
      (e: pg.DatabaseError) => e,
    )
    assert.ok(error, `${user} logged in with a wrong password`)
    return error
  }

  /** The authentication request the gateway answers a StartupMessage with (10: SASL, 5: md5). */
  async function authRequest(user: string): Promise<number> {
    const s = await RawSocket.connect(gateway.port)
    try {
      s.write(serializeStartupMessage({ user, database: topo.database }))
      await s.until(() => s.messages.length > 0 || s.closed)
      const m = s.messages[0]
      assert.equal(m?.code, 'R')
      return m.body.readInt32BE(m.body[0] === 0x52 ? 5 : 0)
    } finally {
      s.destroy()
    }
  }

  before(async () => {
    topo = await startTopology({ replicas: 0, shards: 0, pgbenchScale: 0 })
    const su = topo.users.superuser
    superuser = new pg.Client({
      host: topo.primary.host,
      port: topo.primary.port,
      user: su.username,
      password: su.password,
      database: topo.database,
    })
    await superuser.connect()
    await superuser.query(LOOKUP_SQL)
    const { config } = parseConfigText(configText(topo.primary.port, topo.database), 'auth-query.toml')
    gateway = new Gateway(config)
    await gateway.start()
  })
  after(async () => {
    await gateway?.stop()
    await superuser?.end()
    await topo?.stop()
  })

  it('a SCRAM user without a password in the config logs in with SCRAM (psql and node-postgres)', async () => {
    assert.equal(await authRequest('skiff_scram'), 10)
    const r = await run(
      pgTool('psql'),
      ['-X', '-A', '-t', '-c', 'SELECT current_user', url('skiff_scram', passwords.skiff_scram)],
      {},
      30_000,
    )
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim(), 'skiff_scram')
    assert.equal(await currentUser('skiff_scram', passwords.skiff_scram), 'skiff_scram')
  })

  it('an md5 user without a password in the config logs in with md5 (psql and node-postgres)', async () => {
    assert.equal(await authRequest('skiff_md5'), 5)
    const r = await run(
      pgTool('psql'),
      ['-X', '-A', '-t', '-c', 'SELECT current_user', url('skiff_md5', passwords.skiff_md5)],
      {},
      30_000,
    )
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim(), 'skiff_md5')
    assert.equal(await currentUser('skiff_md5', passwords.skiff_md5), 'skiff_md5')
  })

  it('a wrong password gets 28P01, as does a listed user the query finds no secret for and an unlisted one', async () => {
    for (const user of ['skiff_scram', 'skiff_md5']) {
      const error = await loginError(user, 'wrong')
      assert.equal(error.code, '28P01')
      assert.equal(error.message, `password authentication failed for user "${user}"`)
    }
    for (const user of ['skiff_ghost', 'nobody_at_all']) {
      assert.equal(await authRequest(user), 10)
      const error = await loginError(user, 'whatever')
      assert.equal(error.code, '28P01')
      assert.equal(error.message, `password authentication failed for user "${user}"`)
    }
  })

  it('transaction pooling: many clients share the two server connections the SCRAM login made possible', async () => {
    const clients = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const c = new pg.Client({ connectionString: url('skiff_scram', passwords.skiff_scram) })
        await c.connect()
        return c
      }),
    )
    try {
      const pids = new Set<number>()
      await Promise.all(
        clients.map(async (c) => {
          for (let i = 0; i < 5; i++) {
            await c.query('BEGIN')
            const { rows } = await c.query('SELECT pg_backend_pid() AS pid, current_user AS u')
            await c.query('COMMIT')
            assert.equal(rows[0].u, 'skiff_scram')
            pids.add(rows[0].pid)
          }
        }),
      )
      assert.ok(pids.size >= 1 && pids.size <= 2, `server connections used: ${pids.size}`)
    } finally {
      await Promise.all(clients.map((c) => c.end()))
    }
  })

  it('clients logging in at once while the secret is not cached yet share one fetch and all get in', async () => {
    const users = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        i % 2 === 0
          ? currentUser('skiff_md5', passwords.skiff_md5, 'cold')
          : currentUser('skiff_scram', passwords.skiff_scram, 'cold'),
      ),
    )
    assert.deepEqual(
      users,
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? 'skiff_md5' : 'skiff_scram')),
    )
  })

  it('HTTP /sql (cleartext password and statements sent before the secret is fetched) works for both users', async () => {
    for (const [user, password] of Object.entries(passwords)) {
      const res = await fetch(`http://127.0.0.1:${gateway.httpPort}/sql`, {
        method: 'POST',
        headers: { 'Neon-Connection-String': url(user, password, 'http_cold'), 'Neon-Array-Mode': 'true' },
        body: JSON.stringify({ query: 'SELECT current_user', params: [] }),
      })
      const body = (await res.json()) as { rows?: unknown[][]; code?: string }
      assert.equal(res.status, 200, JSON.stringify(body))
      assert.deepEqual(body.rows, [[user]])
      const bad = await fetch(`http://127.0.0.1:${gateway.httpPort}/sql`, {
        method: 'POST',
        headers: { 'Neon-Connection-String': url(user, 'wrong') },
        body: JSON.stringify({ query: 'SELECT 1', params: [] }),
      })
      assert.equal(((await bad.json()) as { code?: string }).code, '28P01')
    }
  })

  it('a wrong auth_query_password fails the login with a hint, and leaks no password', async () => {
    const error = await loginError('skiff_md5', passwords.skiff_md5, 'bad_auth_query')
    assert.equal(error.code, '08001')
    assert.match(error.message, /auth_query for user "skiff_md5" failed/)
    assert.match(error.hint ?? '', /auth_query_user/)
    const text = `${error.message} ${error.detail ?? ''} ${error.hint ?? ''}`
    assert.doesNotMatch(text, /not-the-password|skiff_md5_pw|md5[0-9a-f]{32}/)
  })

  it('after ALTER ROLE … PASSWORD on the server the new md5 password works at once and the old one fails', async () => {
    await superuser.query(
      "SET password_encryption = 'md5'; ALTER ROLE skiff_md5 PASSWORD 'md5_new_pw'; RESET password_encryption",
    )
    await new Promise((r) => setTimeout(r, 1100)) // a failed login fetches anew once the secret is 1 s old
    assert.equal(await currentUser('skiff_md5', 'md5_new_pw'), 'skiff_md5')
    assert.equal((await loginError('skiff_md5', passwords.skiff_md5)).code, '28P01')
  })

  it('after ALTER ROLE … PASSWORD the new SCRAM password works from the next login and the old one fails', async () => {
    await superuser.query("ALTER ROLE skiff_scram PASSWORD 'scram_new_pw'")
    await new Promise((r) => setTimeout(r, 1100))
    // The first try was answered with the old salt, so it fails and fetches the new secret.
    assert.equal((await loginError('skiff_scram', 'scram_new_pw')).code, '28P01')
    assert.equal(await currentUser('skiff_scram', 'scram_new_pw'), 'skiff_scram')
    assert.equal((await loginError('skiff_scram', passwords.skiff_scram)).code, '28P01')
    // New server connections log in with the keys of the new password.
    await superuser.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'skiff_scram'",
    )
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(await currentUser('skiff_scram', 'scram_new_pw'), 'skiff_scram')
  })
})
