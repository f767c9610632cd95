/**
 * A throwaway certificate authority and a server certificate (for 127.0.0.1 and localhost unless told), made with
 * the machine's `openssl` CLI in a temporary directory (no npm dependency for a test-only need).
 * @module
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/** Paths of the generated PEM files; `dispose` removes them. */
export interface TestCertificates {
  dir: string
  caCert: string
  serverCert: string
  serverKey: string
  /** A key that does not belong to serverCert (for config error tests). */
  otherKey: string
  dispose(): void
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

/**
 * Generates a CA and a server certificate it signed, valid for a day, naming `altNames` (an
 * openssl subjectAltName value).
 */
export function makeTestCertificates(altNames = 'DNS:localhost,IP:127.0.0.1'): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-tls-'))
  openssl(dir, [
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=Skiff test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ])
  openssl(dir, ['req', ...EC_KEY, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'])
  writeFileSync(path.join(dir, 'server.ext'), `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\n`)
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'server.ext',
  ])
  openssl(dir, [
    'genpkey',
    '-algorithm',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-out',
    'other.key',
  ])
  const at = (name: string) => path.join(dir, name)
  readFileSync(at('server.crt')) // fail here, not in the test, if openssl wrote nothing
  return {
    dir,
    caCert: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    otherKey: at('other.key'),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  }
}
