import { describe, expect, it } from 'vitest'

import { readReference, typeLabel } from '../reference.ts'
import { DESCRIPTION } from './fixtures.ts'

describe('readReference', () => {
  const reference = readReference(DESCRIPTION)

  it('names the API and the server URL the description was served with', () => {
    expect(reference.title).toBe('Stack API')
    expect(reference.version).toBe('1.0.0')
    expect(reference.serverUrl).toBe('https://app.example.com:8443/api')
  })

  it('lists every operation with method, path and summary', () => {
    expect(reference.operations.map((op) => [op.id, op.method, op.path, op.summary])).toEqual([
      ['whoAmI', 'GET', '/whoami', 'The request as Flask sees it.'],
      ['post-/greeting/{name}', 'POST', '/greeting/{name}', ''],
    ])
  })

  it('resolves referenced responses and names their schemas', () => {
    const [whoami] = reference.operations
    expect(whoami?.responses).toEqual([
      {
        status: '200',
        description: 'What the API saw.',
        bodies: ['application/json: WhoAmI'],
        headers: [],
      },
      {
        status: '502',
        description: 'The API is not reachable (nginx).',
        bodies: ['application/json: Error'],
        headers: [],
      },
    ])
  })

  it("takes the path's parameters and the operation's, referenced or not", () => {
    const greeting = reference.operations[1]
    expect(greeting?.parameters).toEqual([
      { name: 'name', in: 'path', required: true, type: 'string', description: '' },
      { name: 'lang', in: 'query', required: false, type: '"en"', description: '' },
    ])
    expect(greeting?.requestBodies).toEqual(['application/json: array of string'])
    expect(greeting?.responses[0]?.headers).toEqual(['Location'])
  })

  it('lists the schemas with their fields', () => {
    expect(reference.schemas).toEqual([
      {
        name: 'WhoAmI',
        type: 'object',
        description: '',
        fields: [
          { name: 'scheme', type: '"http" | "https"', required: true, description: '' },
          { name: 'port', type: 'integer', required: false, description: 'The public port.' },
        ],
      },
    ])
  })
})

describe('typeLabel', () => {
  it.each([
    [{ type: 'string', format: 'uri' }, 'string (uri)'],
    [{ type: ['string', 'null'] }, 'string | null'],
    [{ anyOf: [{ type: 'integer' }, { $ref: '#/components/schemas/Error' }] }, 'integer | Error'],
    [{}, 'any'],
    [undefined, 'any'],
  ])('%j reads %j', (schema, label) => {
    expect(typeLabel(schema)).toBe(label)
  })
})
