/**
 * What the gateway believes about one server of a pool: banned or not (and until when), how often it
 * was banned, whether it was last seen in recovery (a standby), and when it was last checked.
 *
 * Pure state: every method that depends on time takes `now`, and a ban lifts when it is next asked
 * about after `ban_time`, not from a timer, so tests need neither sleeps nor fake clocks, and an idle
 * gateway keeps no timer per server. The lift is logged at the moment someone first notices it (the
 * router asking for candidates), which is also the moment it starts to matter.
 * @see https://github.com/postgresml/pgcat (pool.rs `ban`, `unban`, `is_banned`)
 * @module
 */
import { log } from '../log.js'

/** The outcome of one health check (see health-check.ts). */
export type HealthCheckResult = { ok: true; inRecovery: boolean } | { ok: false; reason: string }

/** Ban state and last known role of one server of one pool. */
export class ServerHealth {
  /** Bans since start (a ban while banned extends it and is not counted again). */
  bans = 0
  /** Why the current (or last) ban began; undefined before any ban. */
  banReason?: string
  /**
   * `pg_is_in_recovery()` at the last successful check: true on a standby, false on a primary,
   * undefined until a check succeeded (then the configured role is all the gateway knows).
   */
  inRecovery: boolean | undefined
  /** When the last check ended (ms since the epoch; 0: never checked). */
  lastCheckedAt = 0
  /**
   * A check is owed before the server lends a connection again: set when a ban lifts, since the
   * ban's cause may still hold and only a check tells.
   */
  checkOwed = false
  private until = 0

  constructor(
    /** How the server is named in logs (pool and address). */
    readonly name: string,
    /** ms a ban lasts; 0 turns bans off (ban() only logs at debug), as before health checks existed. */
    readonly banTime: number,
  ) {}

  /** When the current ban ends (ms since the epoch), or 0 when not banned. */
  get bannedUntil(): number {
    return this.until
  }

  /** True while banned at `now`; a ban past its end is lifted (and logged) here. */
  banned(now: number = Date.now()): boolean {
    if (this.until === 0) return false
    if (now < this.until) return true
    this.lift(`ban_time (${this.banTime} ms) elapsed`)
    return false
  }

  /**
   * Leaves the server out of routing for `banTime` ms from `now`. A ban while already banned extends
   * it without a second log line: one outage fails every connect under way, and each reports it.
   * `ms`: the admin console's BAN with its own duration.
   */
  ban(reason: string, now: number = Date.now(), ms: number = this.banTime): void {
    if (ms <= 0) return log.debug('server failed; bans are off', { server: this.name, reason })
    const already = this.banned(now)
    this.until = now + ms
    this.checkOwed = true
    if (already) return
    this.bans++
    this.banReason = reason
    log.warn('server banned', { server: this.name, reason, ban_ms: ms })
  }

  /** Ends a ban now (an admin UNBAN, or the router giving up on bans); logged when one was on. */
  unban(why: string): void {
    if (this.until !== 0) this.lift(why)
  }

  /**
   * Records a check's outcome: a success notes the role and clears the owed check, a failure bans.
   * A success does not end a ban: a server that fails now and then would otherwise flap in and out.
   */
  recordCheck(result: HealthCheckResult, now: number = Date.now()): void {
    this.lastCheckedAt = now
    if (!result.ok) return this.ban(`health check failed: ${result.reason}`, now)
    if (this.inRecovery !== undefined && this.inRecovery !== result.inRecovery)
      log.warn('server changed role', { server: this.name, in_recovery: result.inRecovery })
    this.inRecovery = result.inRecovery
    this.checkOwed = false
  }

  private lift(why: string): void {
    this.until = 0
    log.info('server ban lifted', { server: this.name, why, reason: this.banReason })
  }
}
