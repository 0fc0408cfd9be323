// @vitest-environment node
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, describe, expect, it } from 'vitest'

import packageJson from '../../package.json'

// The command `make api-types` runs (npm run api-types), with the output sent elsewhere.
const [generator, description, , committed] = packageJson.scripts['api-types'].split(' ')
const frontend = join(import.meta.dirname, '..', '..')
const scratch = mkdtempSync(join(tmpdir(), 'api-types-'))

afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('the API types', () => {
  // The generator is a Node process of its own: seconds on a loaded machine.
  it('are what the description gives (else: make api-types)', { timeout: 30_000 }, () => {
    const fresh = join(scratch, 'schema.d.ts')
    execFileSync(join(frontend, 'node_modules', '.bin', generator!), [description!, '-o', fresh], {
      cwd: frontend,
      stdio: 'pipe',
    })

    const same = readFileSync(fresh, 'utf8') === readFileSync(join(frontend, committed!), 'utf8')

    expect(
      same,
      `frontend/${committed} is not what ${description} describes: run \`make api-types\``,
    ).toBe(true)
  })
})
