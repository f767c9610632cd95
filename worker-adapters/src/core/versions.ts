/**
 * Table versions from Skiff (`GET /versions?tables=…`), asked at most once per `versionTtl` per
 * (database, table). An entry read at an older version of any of its tables is stale. This is what
 * makes writes other isolates, other fronts or psql made (seen by Skiff) reach every edge cache
 * within `versionTtl` plus one `/versions` round trip.
 * @module
 */

interface Known {
  version: number
  checkedAt: number
}

/** Fetches `/versions` with the caller's credentials; throws on anything but 200. */
export type VersionFetcher = (
  database: string,
  tables: string[],
  auth: Headers,
) => Promise<Record<string, number>>

/** The known versions, per database and table, with the time they were read. */
export class VersionBook {
  readonly #known = new Map<string, Known>()
  readonly #inFlight = new Map<string, Promise<void>>()

  constructor(
    private readonly ttlMs: number,
    private readonly fetchVersions: VersionFetcher,
  ) {}

  /**
   * Whether any table of `versions` (an entry's) has a newer version at Skiff. Tables not checked
   * within the TTL are asked for first; when Skiff cannot be asked, the entry counts as stale.
   */
  async isOutdated(database: string, versions: Record<string, number>, auth: Headers): Promise<boolean> {
    const tables = Object.keys(versions)
    if (tables.length === 0) return false
    const now = Date.now()
    const due = tables.filter((t) => {
      const k = this.#known.get(`${database}\0${t}`)
      return k === undefined || now - k.checkedAt >= this.ttlMs
    })
    if (due.length > 0) {
      try {
        await this.#refresh(database, due, auth)
      } catch {
        return true
      }
    }
    return tables.some((t) => (this.#known.get(`${database}\0${t}`)?.version ?? Infinity) > versions[t]!)
  }

  /**
   * Forgets what is known of these tables (a write through this isolate: ask again next time); all
   * of `database`'s without `tables`, everything without either.
   */
  forget(database?: string, tables?: string[]): void {
    if (database === undefined) this.#known.clear()
    else if (tables === undefined) {
      for (const k of this.#known.keys()) if (k.startsWith(`${database}\0`)) this.#known.delete(k)
    } else for (const t of tables) this.#known.delete(`${database}\0${t}`)
  }

  /** One request per (database, table set) at a time; concurrent checks share it. */
  async #refresh(database: string, tables: string[], auth: Headers): Promise<void> {
    const flightKey = `${database}\0${tables.sort().join(',')}`
    let flight = this.#inFlight.get(flightKey)
    if (flight === undefined) {
      const startedAt = Date.now()
      flight = this.fetchVersions(database, tables, auth)
        .then((got) => {
          for (const t of tables) {
            const version = got[t] ?? 0
            this.#known.set(`${database}\0${t}`, { version, checkedAt: startedAt })
          }
        })
        .finally(() => this.#inFlight.delete(flightKey))
      this.#inFlight.set(flightKey, flight)
    }
    await flight
  }
}

/**
 * Parses `Skiff-Table-Versions: public.t=42,public.u=7` (each name percent-encoded, as Skiff sends
 * it); undefined when absent or malformed. Names are kept decoded, as `GET /versions` answers them.
 */
export function parseVersions(header: string | null): Record<string, number> | undefined {
  if (header === null) return undefined
  const out: Record<string, number> = {}
  for (const part of header.split(',')) {
    if (part.trim() === '') continue
    const eq = part.lastIndexOf('=')
    const v = Number(part.slice(eq + 1))
    const name = eq > 0 ? decodeName(part.slice(0, eq).trim()) : undefined
    if (name === undefined || !Number.isFinite(v)) return undefined
    out[name] = v
  }
  return out
}

/**
 * Parses `Skiff-Tables` / `Skiff-Writes` (comma-separated, each name percent-encoded so a quoted name
 * may hold a comma); undefined when absent or when a name is not valid percent-encoding (then the
 * caller treats the tables as unknown).
 */
export function parseTableList(header: string | null): string[] | undefined {
  const names = parseList(header)?.map(decodeName)
  return names?.some((n) => n === undefined) ? undefined : (names as string[] | undefined)
}

const decodeName = (name: string): string | undefined => {
  try {
    return decodeURIComponent(name)
  } catch {
    return undefined
  }
}

/** Parses a comma-separated list header (`Skiff-Cache-Tags`, `Skiff-Cache-Control`), names as they are. */
export function parseList(header: string | null): string[] | undefined {
  if (header === null) return undefined
  return header
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}
