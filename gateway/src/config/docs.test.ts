import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { renderConfigReference } from './docs.js'
import { generalSchema, poolSchema, shardSchema, userSchema } from './schema.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const STALE =
  'docs/config.md is out of date with the config schema: run `npm run config:docs` and commit the result'

test('docs/config.md matches the schema', async () => {
  const current = await readFile(new URL('../../../docs/config.md', import.meta.url), 'utf8').catch(() => '')
  // A plain equality check: a diff of the whole file would bury the instruction.
  assert.ok(current === renderConfigReference(), STALE)
})

test('every schema key has a row and a description', () => {
  const reference = renderConfigReference()
  for (const schema of [generalSchema, poolSchema, userSchema, shardSchema]) {
    for (const [key, field] of Object.entries(schema.shape)) {
      if (key === 'users' || key === 'shards') continue // sub-tables, documented as their own sections
      assert.match(reference, new RegExp(`\\| \`${key}\` \\|`), `no row for ${key}`)
      assert.ok((field.description ?? '').length > 0, `${key} has no .describe() text`)
    }
  }
})

test('gen-config-docs --check agrees', async () => {
  const run = promisify(execFile)
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'infra/scripts/gen-config-docs.ts', '--check'],
    {
      cwd: root,
    },
  )
  assert.match(stdout, /up to date/)
})
