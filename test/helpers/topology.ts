/**
 * The Postgres topology the test runner started for this run (see test/run.mjs).
 * @module
 */
import { readFileSync } from 'node:fs'
import type { TopologyDescription } from '../../infra/src/describe.js'

let cached: TopologyDescription | undefined

/** The running topology; fails clearly when tests are run without test/run.mjs. */
export function topology(): TopologyDescription {
  if (cached) return cached
  const file = process.env.SKIFF_TOPOLOGY_FILE
  if (!file)
    throw new Error(
      'SKIFF_TOPOLOGY_FILE is not set: run the suite with `npm test` (test/run.mjs starts Postgres)',
    )
  cached = JSON.parse(readFileSync(file, 'utf8')) as TopologyDescription
  return cached
}

/** A connection string straight to the primary (no gateway), as the superuser. */
export function directUrl(database = topology().database): string {
  const t = topology()
  const su = t.users.superuser
  return `postgres://${su.username}:${encodeURIComponent(su.password)}@127.0.0.1:${t.primary.port}/${database}`
}
