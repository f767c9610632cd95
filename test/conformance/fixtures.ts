/**
 * The tables the conformance cases use. Created once per run by the superuser and owned by the role
 * every test user belongs to, so all targets see the same tables (and the same table OIDs in their
 * fields); each case empties what it uses before each target's run (its `reset`).
 * @module
 */

/** Rows of several types, read back by the query cases. */
export const ITEMS = 'conf_items'
/** A primary key and a unique column, for unique violations and their fields. */
export const ACCOUNTS = 'conf_accounts'
/** Written by COPY FROM STDIN and by the transaction cases. */
export const LEDGER = 'conf_ledger'

/** A function raising a NOTICE with its argument, so notices can come from the extended protocol. */
export const NOTIFY = 'conf_notify'

const TABLES = [ITEMS, ACCOUNTS, LEDGER]

/** Drops and creates every table, and (re)creates the function (a run that died may have left them). */
export const CREATE_FIXTURES = `
drop table if exists ${TABLES.join(', ')};
create table ${ITEMS} (
  id int primary key,
  label text not null,
  price numeric(10, 2),
  tags text[],
  meta jsonb,
  seen timestamptz,
  blob bytea
);
create table ${ACCOUNTS} (id int primary key, email text not null unique);
create table ${LEDGER} (id int primary key, amount int not null check (amount <> 0), note text);
${TABLES.map((t) => `alter table ${t} owner to skiff_owner;`).join('\n')}
create or replace function ${NOTIFY}(message text) returns text language plpgsql as $$
  begin raise notice 'conf: %', message using detail = 'from ' || message; return upper(message); end $$;
`

/** Drops every table and the function. */
export const DROP_FIXTURES = `drop table if exists ${TABLES.join(', ')}; drop function if exists ${NOTIFY}`

/** The rows `ITEMS` holds for the query cases (reset before each target's run). */
export const FILL_ITEMS = `
truncate ${ITEMS};
insert into ${ITEMS} values
  (1, 'one', 12.50, '{a,b}', '{"k": [1, 2]}', '2024-01-02 03:04:05.123+00', '\\x00ff'),
  (2, 'two', null, '{}', 'null', null, ''),
  (3, 'three ✓', -0.01, '{"with space",NULL}', '{"nested": {"deep": true}}', 'infinity', null);
`
