/**
 * The SDK's one error type. Postgres errors keep their SQLSTATE in `code` and every ErrorResponse field
 * the gateway forwards; failures before Postgres answers get a `SKIFF_*` code.
 * @module
 */

/** Brand shared by every copy of the SDK (a duplicated bundle has its own class, not its own symbol). */
const BRAND = Symbol.for('skiff.error')

/** Codes of failures that are not a Postgres SQLSTATE. */
export type SkiffErrorCode =
  | 'SKIFF_UNREACHABLE'
  | 'SKIFF_BAD_RESPONSE'
  | 'SKIFF_BODY_TOO_LARGE'
  | 'SKIFF_RESPONSE_TOO_LARGE'
  | 'SKIFF_AUTH_UNSUPPORTED'
  | 'SKIFF_CONNECTION_CLOSED'
  | 'SKIFF_BAD_INPUT'

/** The ErrorResponse fields, under node-postgres's and Neon's names. */
export interface SkiffErrorFields {
  code: string
  severity?: string
  detail?: string
  hint?: string
  position?: string
  internalPosition?: string
  internalQuery?: string
  where?: string
  schema?: string
  table?: string
  column?: string
  dataType?: string
  constraint?: string
  file?: string
  line?: string
  routine?: string
  /** HTTP status of the answer, when it came over HTTP. */
  status?: number
  /** The SQLSTATE the gateway sent along with a `SKIFF_*` code (e.g. 54000 for a body too large). */
  sqlstate?: string
}

const FIELD_NAMES = [
  'severity',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const

/** A failed query or request. `code` is a SQLSTATE (e.g. 42P01) or a {@link SkiffErrorCode}. */
export class SkiffError extends Error implements SkiffErrorFields {
  override readonly name = 'SkiffError'
  readonly code: string
  declare severity?: string
  declare detail?: string
  declare hint?: string
  declare position?: string
  declare internalPosition?: string
  declare internalQuery?: string
  declare where?: string
  declare schema?: string
  declare table?: string
  declare column?: string
  declare dataType?: string
  declare constraint?: string
  declare file?: string
  declare line?: string
  declare routine?: string
  declare status?: number
  declare sqlstate?: string

  constructor(message: string, fields: SkiffErrorFields, options?: { cause?: unknown }) {
    super(message, options)
    this.code = fields.code
    for (const k of FIELD_NAMES) if (fields[k] != null) this[k] = String(fields[k])
    if (fields.status !== undefined) this.status = fields.status
    if (fields.sqlstate !== undefined) this.sqlstate = fields.sqlstate
    Object.defineProperty(this, BRAND, { value: true })
  }
}

/**
 * True for a {@link SkiffError} from any copy of the SDK (checks the `Symbol.for` brand, not
 * `instanceof`); false for unrelated errors, even ones with a `code` such as Node's ECONNREFUSED.
 */
export function isSkiffError(value: unknown): value is SkiffError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
}

/** A SkiffError from a gateway or Postgres error object with Neon's field names (null = absent). */
export function errorFromFields(body: Record<string, unknown>, status?: number, code?: string): SkiffError {
  const fields: SkiffErrorFields = { code: code ?? (String(body.code ?? '') || 'SKIFF_BAD_RESPONSE') }
  for (const k of FIELD_NAMES) {
    const v = body[k]
    if (v !== null && v !== undefined) fields[k] = String(v)
  }
  if (status !== undefined) fields.status = status
  if (code !== undefined && typeof body.code === 'string' && body.code !== '') fields.sqlstate = body.code
  const message = typeof body.message === 'string' ? body.message : `request failed (HTTP ${status})`
  return new SkiffError(message, fields)
}
