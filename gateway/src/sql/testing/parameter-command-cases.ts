import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ParameterCommand } from '../statement-info.js'
import type { Classifier } from './classifier.js'

/**
 * The cases of SET, RESET and SHOW as the classifier reports them in `parameter`. Declared for the
 * classifier given, so the same cases check `classifyStatement` and the shape cache (shape-
 * cache.test.ts).
 */
export function parameterCommandCases({ classifySql }: Classifier): void {
  function param(text: string): ParameterCommand | undefined {
    return classifySql(text).parameter
  }

  /** `name local reset value` in one string, to compare many cases compactly. */
  function brief(text: string): string {
    const p = param(text)
    return p ? `${p.name}|${p.local ? 'local' : ''}|${p.reset ? 'reset' : ''}|${p.value}` : 'none'
  }

  describe('parameter commands: SET', () => {
    it('reads a parameter, its scope and its value as written', () => {
      assert.deepEqual(param('set x = 1'), { name: 'x', local: false, reset: false, value: '1' })
      assert.equal(brief(`SET LOCAL search_path TO a, "B", 'c'`), `search_path|local||a, "B", 'c'`)
      assert.equal(brief('set session statement_timeout=0;'), 'statement_timeout|||0')
      assert.equal(brief('set "MyApp".UserId = 3 /* c */;'), 'MyApp.userid|||3')
      assert.equal(brief('set x to default'), 'x||reset|default')
      assert.equal(brief('set search_path from current'), 'search_path|||from current')
    })

    it("names Postgres's special forms as Postgres does", () => {
      assert.equal(brief("SET TIME ZONE 'UTC'"), "timezone|||'UTC'")
      assert.equal(brief("set names 'utf8'"), "client_encoding|||'utf8'")
      assert.equal(brief("set schema 's'"), "search_path|||'s'")
      assert.equal(brief('set role admin'), 'role|||admin')
      assert.equal(brief('set role to admin'), 'role|||admin')
      assert.equal(brief('set local role = admin'), 'role|local||admin')
      assert.equal(brief('set session authorization default'), 'session_authorization||reset|default')
      assert.equal(brief('set xml option document'), 'xmloption|||document')
    })

    it('scopes SET TRANSACTION and SET CONSTRAINTS to the transaction', () => {
      assert.equal(
        brief('set transaction isolation level serializable'),
        'transaction|local||isolation level serializable',
      )
      assert.equal(brief('set constraints all deferred'), 'constraints|local||all deferred')
      assert.equal(
        brief('set session characteristics as transaction read only'),
        'session_characteristics|||read only',
      )
    })

    it("reads PgCat's routing commands as multi-word names", () => {
      assert.equal(brief("SET SHARDING KEY TO '1'"), "sharding key|||'1'")
      assert.equal(brief("set shard to 'any'"), "shard|||'any'")
      assert.equal(brief("SET SERVER ROLE TO 'replica'"), "server role|||'replica'")
      assert.equal(brief('SET PRIMARY READS TO on'), 'primary reads|||on')
    })
  })

  describe('parameter commands: RESET and SHOW', () => {
    it('reads RESET', () => {
      assert.equal(brief('reset all'), 'all||reset|')
      assert.equal(brief('RESET TIME ZONE'), 'timezone||reset|')
      assert.equal(brief('reset session authorization'), 'session_authorization||reset|')
      assert.equal(brief('reset Statement_Timeout'), 'statement_timeout||reset|')
    })

    it('reads SHOW', () => {
      assert.equal(brief('show all'), 'all|||')
      assert.equal(brief('SHOW TIME ZONE'), 'timezone|||')
      assert.equal(brief('show transaction isolation level'), 'transaction_isolation|||')
      assert.equal(brief('SHOW "search_path"'), 'search_path|||')
      assert.equal(brief('SHOW SERVER ROLE;'), 'server role|||')
      assert.equal(brief('show shard'), 'shard|||')
    })

    it('describes the first SET, RESET or SHOW of the request, if any', () => {
      assert.equal(param('select 1'), undefined)
      assert.equal(brief('select 1; set x = 1; set y = 2'), 'x|||1')
      assert.equal(brief('show a; set b = 1'), 'a|||')
    })
  })
}
