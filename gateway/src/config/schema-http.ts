/**
 * The `[http]` table (a Skiff addition): the listener for the edge fronts, `POST /sql` in the Neon HTTP
 * format and Postgres-over-WebSocket, both served by the same pools and sessions as TCP.
 * @see ../../../../shared/reference/neon-wire-contract.md (the driver contract these defaults follow)
 */
import { z } from 'zod'
import { countSchema, looseEnum, msSchema } from './schema-common.js'

const MIB = 1024 * 1024

/** When a WebSocket client may send its password in the clear before being asked for it. */
export const pipelinedPasswordPolicies = ['loopback', 'always', 'never'] as const

/** One static API token: `Authorization: Bearer <token>` logs in as `username` without a password. */
export const apiTokenSchema = z.object({
  token: z
    .string()
    .min(24, 'must be at least 24 characters; generate one with `openssl rand -base64 32`')
    .describe('The secret a caller sends as `Authorization: Bearer <token>`. Never logged.'),
  username: z.string().min(1).describe('The pool user the token logs in as (must be a configured user).'),
  database: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Restricts the token to this database (pool name); unset, it works for every pool the user is in.',
    ),
})

/** Schema of the `[http]` table. */
export const httpSchema = z.object({
  enabled: z.boolean().default(true).describe('Serve HTTP `/sql` and WebSocket clients.'),
  host: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Address the HTTP/WebSocket listener binds; unset, it binds `general.host` like the TCP listener. "0.0.0.0" means all interfaces.',
    ),
  port: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(8080)
    .describe('Port of the HTTP/WebSocket listener. 0 picks a free port (for tests).'),
  max_request_body_bytes: countSchema()
    .min(1)
    .default(10 * MIB)
    .describe('Largest `POST /sql` body accepted; larger bodies get 413 (Neon: 10 MiB).'),
  max_response_bytes: countSchema()
    .min(1)
    .default(10 * MIB)
    .describe('Largest JSON response `/sql` builds; larger results get 507 (Neon: 10 MiB).'),
  request_timeout: msSchema()
    .min(1)
    .default(15000)
    .describe(
      'Milliseconds a `/sql` request may run (login, queue wait and queries); then its query is cancelled and the caller gets 400 with SQLSTATE 57014 (Neon: 15 s).',
    ),
  cors_allowed_origins: z
    .array(z.string().min(1))
    .default(['*'])
    .describe(
      'Origins browsers may call `/sql` from (`Access-Control-Allow-Origin`); ["*"] allows any, as Neon does.',
    ),
  websocket_pipelined_password: looseEnum(pipelinedPasswordPolicies)
    .default('loopback')
    .describe(
      'When a WebSocket client that sends its password before being asked (the Neon driver\'s default `pipelineConnect: "password"`) is logged in with it: "loopback" only for clients on this machine (such as a TLS-terminating proxy next to Skiff), "always", or "never". Otherwise the client must use `pipelineConnect: false`, which runs the user\'s normal method (SCRAM).',
    ),
  tls_certificate: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Path to the PEM certificate (chain) of the HTTP listener. Set (with tls_private_key), or unset while general.tls_certificate is set (general's pair then serves here too), the listener speaks HTTPS and WebSockets are WSS; plain http:// and ws:// are not served on this port then. Reloaded with the certificates (a bad new file keeps the old one in use).",
    ),
  tls_private_key: z
    .string()
    .min(1)
    .optional()
    .describe('Path to the PEM private key of http.tls_certificate (not encrypted). Required with it.'),
  require_api_token: z
    .boolean()
    .default(false)
    .describe('Refuse `/sql` requests that carry no valid `Authorization: Bearer` token.'),
  api_tokens: z
    .array(apiTokenSchema)
    .default([])
    .describe(
      'Static bearer tokens for `/sql` (`[[http.api_tokens]]` with token, username and optionally database). A request with a valid token needs no password in its connection string.',
    ),
})

/** The `[http]` table as parsed, before `host` falls back to `general.host`. */
export type HttpTable = z.output<typeof httpSchema>
/** Parsed `[http]` table, `host` resolved (see `resolveHttpHost` in schema.ts). */
export type HttpConfig = HttpTable & { host: string }
/** One parsed `[[http.api_tokens]]` entry. */
export type ApiTokenConfig = z.output<typeof apiTokenSchema>
