/**
 * Turns zod issues into one-line messages a person can act on, e.g.
 * `pools.app.users.0.pool_size: expected an integer, got "ten"`, never showing a value
 * that sits under a key whose name contains "password".
 */
import type { z } from 'zod'
import { formatPath } from './schema-common.js'

/** What replaces a secret wherever config values are shown. */
export const REDACTED = '<redacted>'

/** True for keys whose values are secrets (password, server_password, auth_query_password, ...). */
export function isSecretKey(key: PropertyKey): boolean {
  return typeof key === 'string' && key.toLowerCase().includes('password')
}

const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'a table',
  record: 'a table',
  array: 'an array',
  tuple: 'an array',
}

/**
 * Builds the error map for one parse. It reads offending values from the raw TOML
 * (not from zod, which has already lower-cased enum input) so messages quote what the file says.
 */
export function makeErrorMap(raw: unknown): (issue: z.core.$ZodRawIssue) => string | undefined {
  return (issue) => {
    const path = issue.path ?? []
    const value = path.length > 0 ? valueAt(raw, path) : issue.input
    const shown = path.some(isSecretKey) ? REDACTED : showValue(value)
    switch (issue.code) {
      case 'invalid_type':
        if (value === undefined) return 'missing; this key is required'
        return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${shown}`
      case 'invalid_value':
        return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}, got ${shown}`
      case 'too_small':
        if (issue.origin === 'string') return 'must not be empty'
        if (issue.origin === 'array') return `needs at least ${issue.minimum} entries`
        return `must be at least ${issue.minimum}, got ${shown}`
      case 'too_big':
        if (issue.origin === 'array') return `allows at most ${issue.maximum} entries`
        return `must be at most ${issue.maximum}, got ${shown}`
      default:
        return undefined // zod's own wording; it never includes the input value
    }
  }
}

/** Formats a finished zod issue as `key.path: message`. */
export function formatIssue(issue: z.core.$ZodIssue): string {
  return `${formatPath(issue.path) || '(top level)'}: ${issue.message}`
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined
    current = (current as Record<PropertyKey, unknown>)[segment]
  }
  return current
}

function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Date) return 'a date'
  if (typeof value === 'object' && value !== null) return 'a table'
  return String(value)
}
