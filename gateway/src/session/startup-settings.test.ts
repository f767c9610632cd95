import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { GatewayError } from '../errors.js'
import { parseOptions, readStartupSettings } from './startup-settings.js'

describe('startup settings, read as Postgres reads a StartupMessage', () => {
  test('options switches: -c name=value, -cname=value, --name=value, dashes in names read as underscores', () => {
    assert.deepEqual(
      parseOptions('-c work_mem=5MB -cwork_mem=6MB --search-path=app -c intervalstyle=postgres_verbose'),
      [
        ['work_mem', '5MB'],
        ['work_mem', '6MB'],
        ['search_path', 'app'],
        ['intervalstyle', 'postgres_verbose'],
      ],
    )
  })

  test('options split at unescaped blanks; a backslash keeps the next character', () => {
    assert.deepEqual(parseOptions('  -c application_name=a\\ b\\\\c \t -c x.y=1  '), [
      ['application_name', 'a b\\c'],
      ['x.y', '1'],
    ])
    assert.deepEqual(parseOptions(''), [])
  })

  test('a switch without a value, or another postgres switch, is refused as Postgres words it', () => {
    const refused = (options: string, code: string, message: RegExp) =>
      assert.throws(
        () => parseOptions(options),
        (e: unknown) =>
          e instanceof GatewayError &&
          e.sqlstate === code &&
          e.severity === 'FATAL' &&
          message.test(e.message),
      )
    refused('-c work_mem', '42601', /^-c work_mem requires a value$/)
    refused('--work-mem', '42601', /^--work-mem requires a value$/)
    refused('-B 10', '08P01', /unsupported switch in options: -B/)
  })

  test('options first, then the packet’s parameters (the last value of a name wins), names folded to lower case', () => {
    const s = readStartupSettings(
      new Map([
        ['user', 'u'],
        ['database', 'd'],
        ['options', '-c DateStyle=German -c work_mem=1MB'],
        ['DateStyle', 'ISO, MDY'],
        ['application_name', 'app'],
        ['_pq_.x', '1'],
      ]),
    )
    assert.deepEqual(
      [...s.settings],
      [
        ['datestyle', 'ISO, MDY'],
        ['work_mem', '1MB'],
        ['application_name', 'app'],
      ],
    )
    assert.deepEqual(s.protocolOptions, ['_pq_.x'])
    // Passed through to a session-mode connection as sent, without application_name (set with SET).
    assert.deepEqual(s.passThrough, [
      ['options', '-c DateStyle=German -c work_mem=1MB'],
      ['DateStyle', 'ISO, MDY'],
    ])
    assert.notEqual(s.key, '')
  })

  test('fallback_application_name applies only without application_name; no parameters, no key', () => {
    const s = readStartupSettings(
      new Map([
        ['user', 'u'],
        ['fallback_application_name', 'psql'],
      ]),
    )
    assert.deepEqual([...s.settings], [['application_name', 'psql']])
    assert.equal(s.key, '')
    const both = readStartupSettings(
      new Map([
        ['user', 'u'],
        ['application_name', 'mine'],
        ['fallback_application_name', 'psql'],
      ]),
    )
    assert.deepEqual([...both.settings], [['application_name', 'mine']])
  })

  test('a replication connection is refused', () => {
    assert.throws(
      () =>
        readStartupSettings(
          new Map([
            ['user', 'u'],
            ['replication', 'database'],
          ]),
        ),
      (e: unknown) => e instanceof GatewayError && e.severity === 'FATAL' && /replication/.test(e.message),
    )
  })
})
