import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  invalidRoutingValueMessage,
  parseRoutingCommand,
  parseRoutingSql,
  type RoutingCommand,
} from './routing-command.js'

/** A command in one line (`set-server-role:primary`, `show-shard`, `invalid:set-shard:x`), or `none`. */
function brief(text: string, standardStrings = true): string {
  const c: RoutingCommand | undefined = parseRoutingSql(text, standardStrings)
  if (c === undefined) return 'none'
  switch (c.kind) {
    case 'set-server-role':
      return `${c.kind}:${c.role}`
    case 'set-primary-reads':
      return `${c.kind}:${c.value}`
    case 'set-shard':
      return `${c.kind}:${c.shard}`
    case 'set-sharding-key':
      return `${c.kind}:${c.key}`
    case 'invalid':
      return `invalid:${c.command}:${c.value}`
    default:
      return c.kind
  }
}

function check(cases: ReadonlyArray<readonly [string, string]>): void {
  for (const [text, want] of cases) assert.equal(brief(text), want, JSON.stringify(text))
}

describe('parseRoutingCommand: the texts PgCat accepts (query_router.rs test_regex_set)', () => {
  it('reads every command in upper and lower case, quoted and unquoted as PgCat allows', () => {
    check([
      ["SET SHARDING KEY TO '1'", 'set-sharding-key:1'],
      ["SET SHARD TO '1'", 'set-shard:1'],
      ['SHOW SHARD', 'show-shard'],
      ["SET SERVER ROLE TO 'replica'", 'set-server-role:replica'],
      ["SET SERVER ROLE TO 'primary'", 'set-server-role:primary'],
      ["SET SERVER ROLE TO 'any'", 'set-server-role:any'],
      ["SET SERVER ROLE TO 'auto'", 'set-server-role:auto'],
      ["SET SERVER ROLE TO 'default'", 'set-server-role:default'],
      ['SHOW SERVER ROLE', 'show-server-role'],
      ["SET PRIMARY READS TO 'on'", 'set-primary-reads:on'],
      ["SET PRIMARY READS TO 'off'", 'set-primary-reads:off'],
      ["SET PRIMARY READS TO 'default'", 'set-primary-reads:default'],
      ['SHOW PRIMARY READS', 'show-primary-reads'],
      ["set sharding key to '1'", 'set-sharding-key:1'],
      ["set shard to '1'", 'set-shard:1'],
      ['show shard', 'show-shard'],
      ["set server role to 'replica'", 'set-server-role:replica'],
      ['show server role', 'show-server-role'],
      ["set primary reads to 'OFF'", 'set-primary-reads:off'],
      ["set primary reads to 'deFaUlt'", 'set-primary-reads:default'],
      ['SET SHARDING KEY TO 11235', 'set-sharding-key:11235'],
      ['SET SHARD TO 15', 'set-shard:15'],
      ['SET PRIMARY READS TO off', 'set-primary-reads:off'],
      ['  SET SHARDING KEY TO 11235  ; ', 'set-sharding-key:11235'],
      ['  SET SHARD TO 15;   ', 'set-shard:15'],
      [" SET SERVER ROLE TO 'primary';   ", 'set-server-role:primary'],
      ["  SET PRIMARY READS TO 'off'    ;", 'set-primary-reads:off'],
    ])
  })

  it('folds values to lower case (PgCat folds roles and ANY; it matches ON but leaves reads unchanged)', () => {
    check([
      ["SET SERVER ROLE TO 'PRIMARY'", 'set-server-role:primary'],
      ["SET SERVER ROLE TO 'RePlIcA'", 'set-server-role:replica'],
      ["SET SHARD TO 'ANY'", 'set-shard:any'],
      ['SET SHARD TO any', 'set-shard:any'],
      ['SET PRIMARY READS TO ON', 'set-primary-reads:on'],
      ['SET PRIMARY READS TO Default', 'set-primary-reads:default'],
    ])
  })

  it('keeps shard and key digits as written, leading zeros included', () => {
    check([
      ["SET SHARD TO '007'", 'set-shard:007'],
      ['SET SHARDING KEY TO 0', 'set-sharding-key:0'],
      ['SET SHARDING KEY TO 9223372036854775807', 'set-sharding-key:9223372036854775807'],
    ])
  })
})

describe('parseRoutingCommand: layout Postgres allows around the words', () => {
  it('takes any whitespace and comments between words and around the statement', () => {
    check([
      ["set\tserver\n\trole\r\nTO\f'primary'", 'set-server-role:primary'],
      [
        "/* a */ SET /* b /* nested */ */ SERVER -- c\n ROLE -- d\n TO /* e */ 'any' -- f",
        'set-server-role:any',
      ],
      ['--x\nshow/**/shard/**/;', 'show-shard'],
      ['SHOW\nPRIMARY\n\nREADS', 'show-primary-reads'],
      ["SET SHARDING/*x*/KEY TO'5'", 'set-sharding-key:5'],
    ])
  })

  it('takes empty statements before and after', () => {
    check([
      [';;SET SHARD TO 1;;  ;', 'set-shard:1'],
      ['; show server role ; -- done', 'show-server-role'],
      ["SET PRIMARY READS TO 'on' ; /* end */ ;", 'set-primary-reads:on'],
    ])
  })

  it('reads the text up to a NUL, as Postgres does with a Query message', () => {
    const buf = Buffer.from("xxSET SERVER ROLE TO 'auto'\0garbage")
    assert.deepEqual(parseRoutingCommand(buf, 2, buf.length), { kind: 'set-server-role', role: 'auto' })
    const inner = Buffer.from('SHOW SHARD; SHOW SHARD')
    assert.deepEqual(parseRoutingCommand(inner, 0, 10), { kind: 'show-shard' }, 'only [start, end) is read')
  })

  it('reads a literal with standard_conforming_strings off as Postgres would', () => {
    assert.equal(brief("SET SHARD TO 'a\\';'", false), "invalid:set-shard:'a\\';'")
    assert.equal(
      brief("SET SHARD TO 'a\\';'", true),
      'none',
      "on: 'a\\' ends at the backslash; then ';' opens",
    )
    assert.equal(brief("SET SERVER ROLE TO 'replica'", false), 'set-server-role:replica')
  })
})

describe('parseRoutingCommand: values PgCat does not accept come back invalid', () => {
  it('names the command and the value as written', () => {
    check([
      ["SET SERVER ROLE TO 'bogus'", "invalid:set-server-role:'bogus'"],
      ['SET SERVER ROLE TO primary', 'invalid:set-server-role:primary'],
      ['SET SERVER ROLE TO "primary"', 'invalid:set-server-role:"primary"'],
      ["SET SERVER ROLE TO E'primary'", "invalid:set-server-role:E'primary'"],
      ['SET SERVER ROLE TO $$primary$$', 'invalid:set-server-role:$$primary$$'],
      ["SET SERVER ROLE TO U&'primary'", "invalid:set-server-role:U&'primary'"],
      ["SET SERVER ROLE TO 'mirror'", "invalid:set-server-role:'mirror'"],
      ["SET SERVER ROLE TO 'prim''ary'", "invalid:set-server-role:'prim''ary'"],
      ["SET SERVER ROLE TO 'prim'\n'ary'", "invalid:set-server-role:'prim'\n'ary'"],
      ["SET SERVER ROLE TO ' primary'", "invalid:set-server-role:' primary'"],
      ["SET SERVER ROLE TO 'primary' 'replica'", "invalid:set-server-role:'primary' 'replica'"],
      ['SET SERVER ROLE TO', 'invalid:set-server-role:'],
      ['SET SERVER ROLE TO ;', 'invalid:set-server-role:'],
      ["SET PRIMARY READS TO 'yes'", "invalid:set-primary-reads:'yes'"],
      ['SET PRIMARY READS TO true', 'invalid:set-primary-reads:true'],
      ['SET PRIMARY READS TO 1', 'invalid:set-primary-reads:1'],
      ["SET SHARD TO 'x'", "invalid:set-shard:'x'"],
      ['SET SHARD TO -1', 'invalid:set-shard:-1'],
      ['SET SHARD TO 1.5', 'invalid:set-shard:1.5'],
      ['SET SHARD TO 1_000', 'invalid:set-shard:1_000'],
      ['SET SHARD TO 0x1', 'invalid:set-shard:0x1'],
      ['SET SHARD TO 1abc', 'invalid:set-shard:1abc'],
      ['SET SHARD TO $1', 'invalid:set-shard:$1'],
      ["SET SHARDING KEY TO '-5'", "invalid:set-sharding-key:'-5'"],
      ['SET SHARDING KEY TO any', 'invalid:set-sharding-key:any'],
      ['SET SHARDING KEY TO 9223372036854775808', 'invalid:set-sharding-key:9223372036854775808'],
      ["SET SHARDING KEY TO 'é'", "invalid:set-sharding-key:'é'"],
    ])
  })

  it('words the error as Postgres words a bad setting, listing what is accepted', () => {
    const c = parseRoutingSql("SET SERVER ROLE TO 'bogus'")
    assert.equal(c?.kind, 'invalid')
    assert.deepEqual(c?.kind === 'invalid' && invalidRoutingValueMessage(c), {
      message: `invalid value for SET SERVER ROLE: "'bogus'"`,
      hint: "Available values: 'primary', 'replica', 'any', 'auto', 'default'.",
    })
  })
})

describe('parseRoutingCommand: everything else is forwarded', () => {
  it('leaves the server its own SET and SHOW', () => {
    for (const text of [
      'SET search_path = x',
      'SET search_path TO x, y',
      'SHOW work_mem',
      'SET ROLE x',
      "SET ROLE 'x'",
      'SET SESSION AUTHORIZATION DEFAULT',
      'SET SESSION AUTHORIZATION bob',
      'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE',
      'SET TRANSACTION READ ONLY',
      'SET LOCAL statement_timeout = 0',
      'SHOW ALL',
      'SHOW TRANSACTION ISOLATION LEVEL',
      'SHOW server_version',
      'SET server.role TO primary',
      'SET shard.x TO 1',
      'SHOW shards',
      'RESET ALL',
    ]) {
      assert.equal(brief(text), 'none', text)
    }
  })

  it('leaves what PgCat leaves: other words, `=`, a missing TO, two statements', () => {
    for (const text of [
      "SET SERVER ROLE = 'primary'",
      "SET SERVER ROLE 'primary'",
      'SET SHARD = 1',
      'SET PRIMARY READS = on',
      "SET LOCAL SERVER ROLE TO 'primary'",
      "SET SESSION SERVER ROLE TO 'primary'",
      'SET "SERVER" ROLE TO \'primary\'',
      "SET SERVERS ROLE TO 'primary'",
      "SET SERVER ROLES TO 'primary'",
      'SET SHARDING TO 1',
      'SET SHARDING KEYS TO 1',
      'SET PRIMARY TO on',
      'SHOW SERVER',
      'SHOW SHARDING KEY',
      'SHOW SHARD 1',
      'SHOW SERVER ROLE x',
      'SHOW PRIMARY READS;SELECT 1',
      "SET SERVER ROLE TO 'primary'; SELECT 1",
      "SELECT 1; SET SERVER ROLE TO 'primary'",
      "SELECT * FROM t WHERE v = 'set sharding key to 5'",
      'SELECT 1',
      '',
      ';',
      '-- SHOW SHARD',
    ]) {
      assert.equal(brief(text), 'none', text)
    }
  })

  it('leaves unterminated text to the server (PgCat takes a stray quote: here Postgres refuses it)', () => {
    for (const text of [
      "SET SHARD TO '1",
      "SET SHARD TO 1'",
      "SET SERVER ROLE TO 'primary",
      'SHOW SHARD /* open',
      'SET PRIMARY READS TO on /* open',
      'SET SHARD TO "1',
    ]) {
      assert.equal(brief(text), 'none', text)
    }
  })

  it('does not mistake quoted text for a statement boundary', () => {
    check([
      ["SET SHARD TO 'a;b'", "invalid:set-shard:'a;b'"],
      ['SET SHARD TO $x$;$x$', 'invalid:set-shard:$x$;$x$'],
      ['SET SHARD TO "1;"', 'invalid:set-shard:"1;"'],
    ])
  })
})
