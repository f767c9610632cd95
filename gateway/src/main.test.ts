import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseArgs } from './main.js'

test('a lone file runs the gateway, as `pgcat pgcat.toml` does; --config and -c do too', () => {
  assert.deepEqual(parseArgs(['pgcat.toml']), { kind: 'run', file: 'pgcat.toml' })
  assert.deepEqual(parseArgs(['--config', 'pgcat.toml']), { kind: 'run', file: 'pgcat.toml' })
  assert.deepEqual(parseArgs(['-c', 'pgcat.toml']), { kind: 'run', file: 'pgcat.toml' })
})

test('check-config takes --strict before or after the file', () => {
  const strict = { kind: 'check-config', file: 'a.toml', strict: true }
  assert.deepEqual(parseArgs(['check-config', '--strict', 'a.toml']), strict)
  assert.deepEqual(parseArgs(['check-config', 'a.toml', '--strict']), strict)
  assert.deepEqual(parseArgs(['check-config', 'a.toml']), { ...strict, strict: false })
})

test('help and version', () => {
  assert.deepEqual(parseArgs(['--help']), { kind: 'help' })
  assert.deepEqual(parseArgs(['-h']), { kind: 'help' })
  assert.deepEqual(parseArgs(['--version']), { kind: 'version' })
  assert.deepEqual(parseArgs(['-V']), { kind: 'version' })
})

test('anything else is a usage error', () => {
  for (const argv of [
    [],
    ['--config'],
    ['--bogus'],
    ['a.toml', 'b.toml'],
    ['--config', 'a.toml', 'b.toml'],
    ['check-config'],
    ['check-config', '--strict'],
    ['check-config', '--bogus'],
    ['check-config', 'a.toml', 'b.toml'],
  ]) {
    assert.deepEqual(parseArgs(argv), { kind: 'usage' }, argv.join(' '))
  }
})
