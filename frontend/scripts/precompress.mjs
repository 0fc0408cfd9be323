// Writes a .gz beside each compressible file in dist/ (run after `vite build`).
//
// nginx serves the build's files with `gzip_static on`: a request that accepts gzip gets the .gz
// as it is, so the files are compressed once, at the highest level, instead of on every request
// at nginx's fast level, and each encoding keeps a strong ETag of its own (nginx's on-the-fly
// gzip would weaken it). Every build writes them again, so a .gz can never go stale.
//
//   usage: node scripts/precompress.mjs [folder]    (default: dist)

import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { constants, gzipSync } from 'node:zlib'

const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|map|wasm)$/
// Below this the gzip header and trailer eat most of the gain (nginx's gzip_min_length too).
const MIN_BYTES = 256

function precompress(folder) {
  const written = []
  for (const name of readdirSync(folder)) {
    const path = join(folder, name)
    const stat = statSync(path)
    if (stat.isDirectory()) {
      written.push(...precompress(path))
      continue
    }
    if (!COMPRESSIBLE.test(name) || stat.size < MIN_BYTES) continue
    const packed = gzipSync(readFileSync(path), {
      level: constants.Z_BEST_COMPRESSION,
      memLevel: 9,
    })
    const target = `${path}.gz`
    if (packed.length >= stat.size) {
      rmSync(target, { force: true })
      continue
    }
    writeFileSync(target, packed)
    // Same modification time as the original, so Last-Modified is the same either way.
    utimesSync(target, stat.atime, stat.mtime)
    written.push({ path: target, from: stat.size, to: packed.length })
  }
  return written
}

const folder = process.argv[2] ?? fileURLToPath(new URL('../dist', import.meta.url))
const written = precompress(folder)
const before = written.reduce((sum, f) => sum + f.from, 0)
const after = written.reduce((sum, f) => sum + f.to, 0)
console.log(
  `precompress: ${written.length} file(s) in ${folder}: ${before} -> ${after} bytes (gzip -9)`,
)
