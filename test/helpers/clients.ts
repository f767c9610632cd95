/**
 * Small wrappers over real Postgres clients and tools used by the end-to-end tests.
 * @module
 */
import { spawn } from 'node:child_process'
import pg from 'pg'

/** A connected node-postgres client; `await using` ends it. */
export async function pgClient(url: string): Promise<pg.Client & AsyncDisposable> {
  const client = new pg.Client({ connectionString: url }) as pg.Client & AsyncDisposable
  client.on('error', () => {}) // errors surface through the failing query; keep the process alive
  await client.connect()
  client[Symbol.asyncDispose] = async () => {
    await client.end().catch(() => {})
  }
  return client
}

/** `n` connected node-postgres clients (end them with `Promise.all(clients.map((c) => c.end()))`). */
export function connectMany(url: string, n: number): Promise<pg.Client[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      return c
    }),
  )
}

/** Result of running a command line tool. */
export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a program to completion, with a hard time limit. */
export function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? -1, stdout, stderr })
    })
  })
}

/** Path of a Postgres client binary (psql, pgbench) from the machine's Postgres. */
export function pgTool(name: string): string {
  return `/usr/lib/postgresql/15/bin/${name}`
}
