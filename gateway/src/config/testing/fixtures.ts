/**
 * Builders for config tests: a small valid config as a plain object, patched per test
 * and turned into TOML, so each test states only what it changes.
 */
import assert from 'node:assert/strict'
import { stringify } from 'smol-toml'
import { ConfigError, type LoadedConfig, parseConfigText } from '../load.js'

/** A TOML table as a plain object. */
export type Table = { [key: string]: unknown }

/** One pool "app" with one user and one primary: the smallest config that loads. */
export function validRaw(): Table {
  return {
    general: { admin_username: 'admin', admin_password: 'admin_pw' },
    pools: {
      app: {
        users: { '0': { username: 'alice', password: 'alice_pw' } },
        shards: { '0': { servers: [['127.0.0.1', 5432, 'primary']], database: 'app' } },
      },
    },
  }
}

/** Deep-merges `patch` into `base`; a key patched to `undefined` is removed. Arrays are replaced. */
export function merge(base: Table, patch: Table): Table {
  const out: Table = { ...base }
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key]
    if (value === undefined) delete out[key]
    else if (isTable(value) && isTable(current)) out[key] = merge(current, value)
    else out[key] = value
  }
  return out
}

/** Parses {@link validRaw} with `patch` applied. */
export function load(patch: Table = {}): LoadedConfig {
  return parseConfigText(stringify(merge(validRaw(), patch)), 'test.toml')
}

/** The ConfigError thrown for `text`; fails the test if parsing succeeds. */
export function configError(text: string): ConfigError {
  try {
    parseConfigText(text, 'test.toml')
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`)
    return error
  }
  assert.fail('expected the config to be rejected')
}

/** The issues reported for {@link validRaw} with `patch` applied. */
export function issues(patch: Table): string[] {
  return configError(stringify(merge(validRaw(), patch))).issues
}

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
