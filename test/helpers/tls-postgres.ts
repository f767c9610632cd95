/**
 * A private one-server Postgres that requires TLS: `ssl = on` with a certificate from the test CA,
 * and a pg_hba.conf of `hostssl` lines only (plaintext TCP logins are rejected). The run's shared
 * topology is left as it is.
 * @module
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { describeTopology, type TopologyDescription } from '../../infra/src/describe.js'
import { writeOwned } from '../../infra/src/pg-config.js'
import { pgRunAs } from '../../infra/src/pg-process.js'
import { startTopology, type Topology } from '../../infra/src/topology.js'
import type { TestCertificates } from './test-ca.js'

/** A running TLS-only server. */
export interface TlsPostgres {
  topo: Topology
  description: TopologyDescription
  stop(): Promise<void>
}

/** The topology's pg_hba.conf with every `host` line made `hostssl`, and plaintext TCP rejected. */
function hostsslOnly(hba: string): string {
  const lines = hba.replace(/^host(\s)/gm, 'hostssl$1')
  return `${lines}hostnossl all all 0.0.0.0/0 reject\nhostnossl all all ::/0 reject\n`
}

/** Starts the server, then turns TLS on with `certs`' server certificate (a reload, no restart). */
export async function startTlsPostgres(certs: TestCertificates): Promise<TlsPostgres> {
  const topo = await startTopology({ replicas: 0, shards: 0, pgbenchScale: 0 })
  const stop = () => topo.stop()
  try {
    const { dataDir } = topo.primary
    const runAs = pgRunAs()
    // Postgres refuses a key readable by others: owned by its user, mode 0600 (writeOwned does both).
    writeOwned(path.join(dataDir, 'server.crt'), readFileSync(certs.serverCert, 'utf8'), runAs)
    writeOwned(path.join(dataDir, 'server.key'), readFileSync(certs.serverKey, 'utf8'), runAs)
    const hbaFile = path.join(dataDir, 'pg_hba.conf')
    writeOwned(hbaFile, hostsslOnly(readFileSync(hbaFile, 'utf8')), runAs)
    const su = topo.users.superuser
    const admin = new pg.Client({ ...target(topo), user: su.username, password: su.password })
    await admin.connect()
    try {
      await admin.query('ALTER SYSTEM SET ssl = on')
      await admin.query('SELECT pg_reload_conf()')
    } finally {
      await admin.end()
    }
    await waitForTls(topo, certs)
  } catch (err) {
    await stop()
    throw err
  }
  return { topo, description: describeTopology(topo), stop }
}

function target(topo: Topology) {
  return { host: '127.0.0.1', port: topo.primary.port, database: topo.database }
}

/** The reload is asynchronous: wait until a verified TLS login works. */
async function waitForTls(topo: Topology, certs: TestCertificates): Promise<void> {
  const { username: user, password } = topo.users.scram
  // The chain is checked; the name is not (the certificate may name only `localhost`).
  const ssl = { ca: readFileSync(certs.caCert, 'utf8'), checkServerIdentity: () => undefined }
  const deadline = Date.now() + 10_000
  for (;;) {
    const client = new pg.Client({ ...target(topo), user, password, ssl })
    try {
      await client.connect()
      await client.end()
      return
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}
