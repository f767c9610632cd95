/**
 * Live reload (SIGHUP, the admin console's RELOAD, `autoreload`): the file is read and validated
 * first, and a file that fails keeps the running config, with every problem logged by key and reason.
 * A good file is put in place in one step: unchanged pools stay as they are, changed and new pools
 * take over from the next transaction, removed and replaced pools drain (pool/pool-reload.ts). Keys
 * that only a restart can change (the listeners) are named and keep their running values; the
 * listeners' certificate files are reloaded in place.
 * @module
 */
import { ConfigError, loadConfigFile } from './config/load.js'
import type { Config } from './config/schema.js'
import { loadTlsIdentities } from './endpoints/tls-context.js'
import { log } from './log.js'
import type { BudgetBook } from './pool/connection-budget.js'
import type { PoolRegistry } from './pool/pool-registry.js'
import { planPoolReload } from './pool/pool-reload.js'
import type { ServerConnector } from './pool/server-connector.js'
import type { UserPool } from './pool/user-pool.js'
import type { ReloadOutcome } from './session/admin-commands.js'

/** `[general]` keys read only when the listeners open. */
const RESTART_KEYS = ['host', 'port', 'worker_threads', 'client_login_timeout'] as const

/** What a reload changes in the running gateway. */
export interface ReloadHost {
  readonly config: Config
  readonly pools: PoolRegistry
  readonly connector?: ServerConnector
  /** max_db_connections / max_user_connections, kept across reloads. */
  readonly budgets: BudgetBook
  /** Puts the new config in place (after the pools were swapped). */
  adoptConfig(next: Config): void
  /**
   * Swaps the listeners' certificates for those `next` names (already checked to load); returns what
   * only a restart can do (TLS on a listener that started without it).
   */
  reloadTls(next: Config): string[]
  /** Drains pools the reload replaced or removed. */
  retire(pools: readonly UserPool[]): void
}

/** Reads `file` and applies it to `host`; never throws, a bad file is an `ok: false` outcome. */
export async function reloadFromFile(file: string, host: ReloadHost): Promise<ReloadOutcome> {
  let next: Config
  try {
    const loaded = await loadConfigFile(file)
    for (const message of loaded.unknownKeys) log.warn(message)
    next = loaded.config
    loadTlsIdentities(next) // every certificate file must load, as at start, before anything changes
  } catch (err) {
    const errors =
      err instanceof ConfigError ? err.issues : [err instanceof Error ? err.message : String(err)]
    log.error('reload rejected: the running config is kept', { file, errors })
    return { ok: false, errors }
  }
  const restart = [...keepRestartKeys(host.config, next), ...host.reloadTls(next)]
  if (restart.length > 0)
    log.warn('these keys change only at a restart; their running values are kept', { keys: restart })
  const plan = planPoolReload(host.pools.map(), host.config, next, host.connector, host.budgets)
  host.pools.swap(plan.pools, next.general.auth_type)
  const general = changedGeneralKeys(host.config, next)
  host.adoptConfig(next)
  host.retire(plan.retired)
  const changes = [
    ...plan.added.map((name) => `pool ${name} added`),
    ...plan.changed.map((name) => `pool ${name} changed`),
    ...plan.removed.map((name) => `pool ${name} removed`),
    ...general.map((key) => `general.${key} changed`),
    ...restart.map((key) => `${key} changed, needs a restart`),
  ]
  log.info('config reloaded', { file, changes })
  return { ok: true, changes }
}

/**
 * Puts the running values of the restart-only keys into `next` (so SHOW CONFIG tells what runs) and
 * returns the paths of those that differed.
 */
function keepRestartKeys(running: Config, next: Config): string[] {
  const changed: string[] = []
  const general = next.general as Record<string, unknown>
  for (const key of RESTART_KEYS) {
    if (!same(running.general[key], next.general[key])) changed.push(`general.${key}`)
    general[key] = running.general[key]
  }
  // [http] is read when its listener opens, except its certificate files (reloaded in place).
  const { tls_certificate, tls_private_key } = next.http
  if (!same({ ...running.http, tls_certificate, tls_private_key }, next.http)) changed.push('http')
  next.http = { ...running.http, tls_certificate, tls_private_key }
  return changed
}

/** `[general]` keys whose value differs (restart-only keys already carried over). */
function changedGeneralKeys(running: Config, next: Config): string[] {
  const before = running.general as Record<string, unknown>
  return Object.entries(next.general)
    .filter(([key, value]) => !same(before[key], value))
    .map(([key]) => key)
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
