/**
 * Writes docs/metrics.md from the metric definitions (gateway/src/metrics/definitions.ts).
 *   node --import tsx infra/scripts/gen-metrics-docs.ts          # regenerate
 *   node --import tsx infra/scripts/gen-metrics-docs.ts --check  # exit 1 if docs/metrics.md is stale
 */
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { renderMetricsReference } from '../../gateway/src/metrics/docs.js'

const target = fileURLToPath(new URL('../../docs/metrics.md', import.meta.url))
const expected = renderMetricsReference()

if (process.argv.includes('--check')) {
  const current = await readFile(target, 'utf8').catch(() => undefined)
  if (current !== expected) {
    console.error(`${target} is out of date with the metric definitions; run \`npm run metrics:docs\`.`)
    process.exit(1)
  }
  console.log(`${target} is up to date.`)
} else {
  await writeFile(target, expected)
  console.log(`wrote ${target}`)
}
