import type { TopologyUser, TopologyUsers } from './types.js'

/** Bootstrap superuser: initdb -U, unix-socket trust for setup, SCRAM over TCP. */
export const SUPERUSER = 'postgres'

/** NOLOGIN role owning the test databases and pgbench tables; every non-superuser is a member. */
export const OWNER_ROLE = 'skiff_owner'

/** The fixed credentials of every topology (tests and docs rely on these exact values). */
export function topologyUsers(): TopologyUsers {
  return {
    superuser: { username: SUPERUSER, password: 'postgres', auth: 'scram-sha-256' },
    scram: { username: 'skiff_scram', password: 'skiff_scram_pw', auth: 'scram-sha-256' },
    md5: { username: 'skiff_md5', password: 'skiff_md5_pw', auth: 'md5' },
    plain: { username: 'skiff_plain', password: 'skiff_plain_pw', auth: 'password' },
    // The server never asks for it (trust), but poolers that authenticate clients themselves need one.
    trust: { username: 'skiff_trust', password: 'skiff_trust_pw', auth: 'trust' },
  }
}

const literal = (s: string): string => `'${s.replaceAll("'", "''")}'`
const ident = (s: string): string => `"${s.replaceAll('"', '""')}"`

function createUserSql(user: TopologyUser): string {
  const create = `CREATE ROLE ${ident(user.username)} LOGIN PASSWORD ${literal(user.password)} IN ROLE ${OWNER_ROLE};`
  // The verifier format is fixed at CREATE time by the session's password_encryption: md5 users must
  // have an md5 hash stored, or the server would answer the md5 method with SCRAM instead.
  if (user.auth === 'md5') return `SET password_encryption = 'md5';\n${create}\nRESET password_encryption;`
  return create
}

/**
 * Roles plus an empty `database` owned by {@link OWNER_ROLE}. Runs as the superuser via psql;
 * the trailing `\connect` makes the schema change apply inside the new database.
 */
export function bootstrapSql(users: TopologyUsers, database: string): string {
  const logins = [users.scram, users.md5, users.plain, users.trust]
  return [
    `ALTER ROLE ${ident(users.superuser.username)} PASSWORD ${literal(users.superuser.password)};`,
    `CREATE ROLE ${OWNER_ROLE} NOLOGIN;`,
    ...logins.map(createUserSql),
    `CREATE DATABASE ${ident(database)} OWNER ${OWNER_ROLE};`,
    `\\connect ${ident(database)}`,
    // PG15 no longer lets everyone CREATE in public; owning it lets members create and drop tables.
    `ALTER SCHEMA public OWNER TO ${OWNER_ROLE};`,
  ].join('\n')
}

/**
 * pgbench -i runs as the superuser; hand its tables to the owner role so every test user can run
 * TPC-B (including pgbench's own VACUUM, which needs ownership) and re-initialize them.
 */
export function pgbenchOwnershipSql(users: TopologyUsers): string {
  const tables = ['pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'pgbench_history']
  const logins = [users.scram, users.md5, users.plain, users.trust].map((u) => ident(u.username))
  return [
    ...tables.map((t) => `ALTER TABLE ${t} OWNER TO ${OWNER_ROLE};`),
    `GRANT ALL ON ALL TABLES IN SCHEMA public TO ${logins.join(', ')};`,
  ].join('\n')
}
