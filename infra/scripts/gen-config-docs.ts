/**
 * Writes docs/config.md from the config schema.
 *   node --import tsx infra/scripts/gen-config-docs.ts          # regenerate
 *   node --import tsx infra/scripts/gen-config-docs.ts --check  # exit 1 if docs/config.md is stale (CI)
 */
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { renderConfigReference } from '../../gateway/src/config/docs.js'

const target = fileURLToPath(new URL('../../docs/config.md', import.meta.url))
const expected = renderConfigReference()

if (process.argv.includes('--check')) {
  const current = await readFile(target, 'utf8').catch(() => undefined)
  if (current !== expected) {
    console.error(
      `${target} is out of date with the config schema; run \`npm run config:docs\` and commit the result.`,
    )
    process.exit(1)
  }
  console.log(`${target} is up to date.`)
} else {
  await writeFile(target, expected)
  console.log(`wrote ${target}`)
}
