#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm run build`).
import { main } from '../dist/main.js'

main(process.argv.slice(2)).then((code) => {
  if (code !== undefined) process.exitCode = code
})
