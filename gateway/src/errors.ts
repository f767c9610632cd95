/**
 * The gateway's one error type: a closed set of codes, each with a SQLSTATE, turned into an
 * ErrorResponse (`toErrorResponse`) or an HTTP status and JSON body (`http/error-body.ts`) in one place.
 * @module
 */
import { type ErrorFields, serializeErrorResponse } from './protocol/backend.js'
import { SqlState } from './protocol/sqlstate.js'

/** Every reason the gateway itself fails a client, with the SQLSTATE a client sees. */
export const GatewayErrorCode = {
  PROTOCOL_VIOLATION: SqlState.ProtocolViolation,
  AUTH_FAILED: SqlState.InvalidPassword,
  AUTH_NOT_SUPPORTED: SqlState.InvalidAuthorizationSpecification,
  /** A login refused for a reason other than the password: a bad API token, a cleartext password refused. */
  AUTH_REJECTED: SqlState.InvalidAuthorizationSpecification,
  UNKNOWN_DATABASE: SqlState.InvalidCatalogName,
  UNSUPPORTED_STARTUP_PARAMETER: SqlState.ProtocolViolation,
  TOO_MANY_CLIENTS: SqlState.TooManyConnections,
  POOL_TIMEOUT: SqlState.TooManyConnections,
  SERVER_UNAVAILABLE: SqlState.SqlclientUnableToEstablishSqlconnection,
  SERVER_AUTH_FAILED: SqlState.SqlclientUnableToEstablishSqlconnection,
  SERVER_CONNECTION_LOST: SqlState.ConnectionFailure,
  FEATURE_NOT_SUPPORTED: SqlState.FeatureNotSupported,
  IDLE_IN_TRANSACTION_TIMEOUT: SqlState.IdleInTransactionSessionTimeout,
  /** transaction_timeout (PgBouncer 1.25, Postgres 17). */
  TRANSACTION_TIMEOUT: SqlState.TransactionTimeout,
  /** client_login_timeout: Postgres's "canceling authentication due to timeout". */
  LOGIN_TIMEOUT: SqlState.QueryCanceled,
  /** A logged-in client closed by a shutdown: Postgres's "terminating connection due to administrator command". */
  SHUTTING_DOWN: SqlState.AdminShutdown,
  /** A login that reached the gateway after a shutdown began: Postgres's "the database system is shutting down". */
  CANNOT_CONNECT_NOW: SqlState.CannotConnectNow,
  BAD_CONFIG: SqlState.ConfigFileError,
  /** An HTTP request that breaks the `/sql` contract: bad JSON, a missing header, a bad connection string. */
  BAD_REQUEST: SqlState.ProtocolViolation,
  REQUEST_TOO_LARGE: SqlState.ProgramLimitExceeded,
  RESPONSE_TOO_LARGE: SqlState.ProgramLimitExceeded,
  REQUEST_TIMEOUT: SqlState.QueryCanceled,
  INTERNAL: SqlState.InternalError,
  /** A shard number or sharding key that the pool cannot use (out of range, not a bigint). */
  INVALID_SHARD: SqlState.InvalidParameterValue,
  /** A statement that no one shard can serve: it names none and may write, or names several. */
  SHARD_NOT_CHOSEN: SqlState.FeatureNotSupported,
  /** The server refused a client's setting (a startup parameter): its own SQLSTATE is kept. */
  SERVER_REFUSED: SqlState.InvalidParameterValue,
} as const
export type GatewayErrorCode = keyof typeof GatewayErrorCode

/**
 * HTTP status of each code over `/sql`; anything else is 400, because the Neon driver keeps the
 * SQLSTATE and the other fields only from a 400 body.
 */
const HTTP_STATUS: Partial<Record<GatewayErrorCode, number>> = {
  REQUEST_TOO_LARGE: 413,
  RESPONSE_TOO_LARGE: 507,
  INTERNAL: 500,
}

export interface GatewayErrorOptions {
  /** FATAL closes the client connection after the ErrorResponse; ERROR keeps it open. */
  severity?: 'ERROR' | 'FATAL'
  detail?: string
  /** How to fix it, shown to the user. */
  hint?: string
  cause?: unknown
  /** The server's own SQLSTATE, when the error is the server's answer to what the client asked. */
  sqlstate?: string
}

/** An error the gateway reports to a client. Messages never include passwords. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError'
  readonly sqlstate: string
  readonly severity: 'ERROR' | 'FATAL'
  readonly detail?: string
  readonly hint?: string

  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.sqlstate = options.sqlstate ?? GatewayErrorCode[code]
    this.severity = options.severity ?? 'ERROR'
    this.detail = options.detail
    this.hint = options.hint
  }

  /** The fields of the ErrorResponse a Postgres client gets. */
  toFields(): ErrorFields {
    return {
      severity: this.severity,
      code: this.sqlstate,
      message: this.message,
      detail: this.detail,
      hint: this.hint,
    }
  }

  /** The HTTP status `/sql` answers this error with. */
  get httpStatus(): number {
    return HTTP_STATUS[this.code] ?? 400
  }

  /** The wire bytes of the ErrorResponse. */
  toErrorResponse(): Buffer {
    return serializeErrorResponse(this.toFields())
  }
}

/**
 * The server's refusal of a client's own setting (a startup parameter), as Postgres would send it at
 * login: FATAL, with the server's SQLSTATE, message, detail and hint.
 */
export function serverRefusal(fields: ReadonlyMap<string, string>): GatewayError {
  return new GatewayError('SERVER_REFUSED', fields.get('M') ?? 'invalid startup parameter', {
    severity: 'FATAL',
    sqlstate: fields.get('C'),
    detail: fields.get('D'),
    hint: fields.get('H'),
  })
}

/**
 * What a shutdown tells a client, as Postgres does: a client that has logged in gets FATAL 57P01, a
 * connection still logging in (or only now arriving) gets FATAL 57P03.
 */
export function shutdownError(loggedIn: boolean): GatewayError {
  return loggedIn
    ? new GatewayError('SHUTTING_DOWN', 'terminating connection due to administrator command', {
        severity: 'FATAL',
      })
    : new GatewayError('CANNOT_CONNECT_NOW', 'the database system is shutting down', { severity: 'FATAL' })
}

/** Wraps anything thrown into a GatewayError, keeping a GatewayError as it is. */
export function asGatewayError(err: unknown, fallback: GatewayErrorCode = 'INTERNAL'): GatewayError {
  if (err instanceof GatewayError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new GatewayError(fallback, message, { cause: err })
}

/** The same error, made FATAL: the connection closes after it. */
export function toFatal(error: GatewayError): GatewayError {
  if (error.severity === 'FATAL') return error
  return new GatewayError(error.code, error.message, {
    severity: 'FATAL',
    detail: error.detail,
    hint: error.hint,
    cause: error.cause,
    sqlstate: error.sqlstate,
  })
}
