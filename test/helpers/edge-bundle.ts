/**
 * Bundles an edge entry (the Cloudflare Worker, a Vercel Edge Function) into one ES module with
 * esbuild, as wrangler and Vercel do, so a test loads what would be deployed.
 * @module
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** The bundled source of `entry` (a path from the repository root, or code via `contents`). */
export async function bundle(entry: string, contents?: string): Promise<string> {
  const result = await build({
    ...(contents === undefined
      ? { entryPoints: [path.join(root, entry)] }
      : { stdin: { contents, resolveDir: path.join(root, entry), loader: 'ts' } }),
    // The SDK the adapters import, from source (a stale or missing client-sdk/dist cannot leak in).
    alias: { '@skiff/client-sdk': path.join(root, 'client-sdk/src') },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}
