/**
 * Issue 22, acceptance 4: the SDK's edge bundle (esbuild, minified, platform neutral, without drizzle)
 * stays under 25 kB gzipped and imports nothing (no `node:` module, no package); two copies of the
 * bundle recognise each other's errors with `isSkiffError`.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const LIMIT = 25 * 1024

async function edgeBundle(): Promise<{ code: string; imports: string[] }> {
  const out = await build({
    entryPoints: ['client-sdk/src/index.ts'],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const imports = Object.values(out.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path))
  return { code: out.outputFiles[0]!.text, imports }
}

test('the edge bundle is under 25 kB gzipped and imports nothing', async () => {
  const { code, imports } = await edgeBundle()
  const gzipped = gzipSync(code, { level: 9 }).length
  console.log(`client-sdk edge bundle: ${code.length} B minified, ${gzipped} B gzipped`)
  assert.ok(gzipped < LIMIT, `${gzipped} B gzipped`)
  assert.deepEqual(imports, [], 'self-contained')
  assert.ok(!/\bnode:/.test(code), 'no node: module')
})

test('isSkiffError works across two copies of the bundle; unrelated errors are not SkiffErrors', async () => {
  const { code } = await edgeBundle()
  const dir = mkdtempSync(path.join(tmpdir(), 'skiff-sdk-bundle-'))
  try {
    const load = async (name: string) => {
      const file = path.join(dir, name)
      writeFileSync(file, code)
      return (await import(pathToFileURL(file).href)) as typeof import('../../client-sdk/src/index.js')
    }
    const a = await load('a.mjs')
    const b = await load('b.mjs')
    assert.notEqual(a.SkiffError, b.SkiffError, 'two copies, two classes')
    const err = new a.SkiffError('x', { code: '42P01' })
    assert.equal(b.isSkiffError(err), true)
    assert.equal(err instanceof b.SkiffError, false, 'instanceof alone would miss it')
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    assert.equal(b.isSkiffError(refused), false)
    assert.equal(b.isSkiffError(null), false)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
