/**
 * The one place an error becomes an HTTP answer on `/sql`: Postgres's ErrorResponse fields under Neon's
 * names (the driver copies exactly these onto its NeonDbError), with Neon's status codes.
 * @see ../../../../shared/reference/neon-wire-contract.md §1.5
 * @module
 */
import type { DatabaseError } from 'pg-protocol'
import { GatewayError } from '../errors.js'

/** The JSON body of a failed `/sql` request. */
export interface ErrorBody {
  message: string
  code: string
  severity: string | null
  detail: string | null
  hint: string | null
  position: string | null
  internalPosition: string | null
  internalQuery: string | null
  where: string | null
  schema: string | null
  table: string | null
  column: string | null
  dataType: string | null
  constraint: string | null
  file: string | null
  line: string | null
  routine: string | null
}

/** An error with its HTTP status, ready to send. */
export interface HttpError {
  status: number
  body: ErrorBody
}

/** A server's ErrorResponse (decoded by pg-protocol), answered as 400 like every database error. */
export function serverErrorBody(e: DatabaseError): HttpError {
  return {
    status: 400,
    body: {
      message: e.message,
      code: e.code ?? '',
      severity: e.severity ?? null,
      detail: e.detail ?? null,
      hint: e.hint ?? null,
      position: e.position ?? null,
      internalPosition: e.internalPosition ?? null,
      internalQuery: e.internalQuery ?? null,
      where: e.where ?? null,
      schema: e.schema ?? null,
      table: e.table ?? null,
      column: e.column ?? null,
      dataType: e.dataType ?? null,
      constraint: e.constraint ?? null,
      file: e.file ?? null,
      line: e.line ?? null,
      routine: e.routine ?? null,
    },
  }
}

/** Anything thrown while serving a request; a GatewayError keeps its SQLSTATE and status. */
export function gatewayErrorBody(err: unknown): HttpError {
  const e = err instanceof GatewayError ? err : new GatewayError('INTERNAL', 'internal error in the gateway')
  const fields = e.toFields()
  const empty = serverErrorBody({ message: e.message } as DatabaseError).body
  return {
    status: e.httpStatus,
    body: {
      ...empty,
      code: e.sqlstate,
      severity: fields.severity ?? null,
      detail: e.detail ?? null,
      hint: e.hint ?? null,
    },
  }
}
