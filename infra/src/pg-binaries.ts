import { accessSync, constants, readdirSync } from 'node:fs'
import { delimiter, join } from 'node:path'

/** Debian/Ubuntu install every major version side by side under this root. */
const DEBIAN_ROOT = '/usr/lib/postgresql'

const found = new Map<string, string>()

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Versioned Debian bin dirs, newest first, but dirs that hold a server (`postgres`) before
 * client-only ones, so every tool comes from the same major version as the server when possible.
 */
function debianBinDirs(): string[] {
  let versions: string[]
  try {
    versions = readdirSync(DEBIAN_ROOT).filter((v) => /^\d+$/.test(v))
  } catch {
    return []
  }
  const dirs = versions.sort((a, b) => Number(b) - Number(a)).map((v) => join(DEBIAN_ROOT, v, 'bin'))
  const withServer = dirs.filter((d) => isExecutable(join(d, 'postgres')))
  return [...withServer, ...dirs.filter((d) => !withServer.includes(d))]
}

/**
 * Search order: `$SKIFF_PG_BIN`, Debian's versioned dirs, then `$PATH`. Debian's `/usr/bin` only has
 * `pg_wrapper` shims for client tools (and no `initdb`/`pg_ctl`), so the versioned dirs must win.
 */
function searchDirs(): string[] {
  const override = process.env.SKIFF_PG_BIN
  const pathDirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean)
  return [...(override ? [override] : []), ...debianBinDirs(), ...pathDirs]
}

/**
 * Absolute path of a PostgreSQL executable (`postgres`, `initdb`, `psql`, `pgbench`, ...).
 * Results are cached per process.
 * @throws Error naming the missing binary and how to install it.
 */
export function findPgBin(name: string): string {
  const cached = found.get(name)
  if (cached) return cached
  const dirs = searchDirs()
  for (const dir of dirs) {
    const candidate = join(dir, name)
    if (isExecutable(candidate)) {
      found.set(name, candidate)
      return candidate
    }
  }
  throw new Error(
    `PostgreSQL binary "${name}" not found (searched ${[...new Set(dirs)].join(', ') || 'nothing'}). ` +
      'Install PostgreSQL with `apt-get update && apt-get install -y postgresql` ' +
      '(or run `node infra/scripts/ensure.mjs`), or set SKIFF_PG_BIN to the directory containing it.',
  )
}
