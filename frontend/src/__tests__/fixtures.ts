import type { Schemas } from '../api.ts'

/** What a correctly configured API answers to GET {prefix}/whoami when reached at `origin`. */
export function whoamiFor(
  origin: string,
  prefix = '/api',
  overrides: Record<string, unknown> = {},
): Schemas['WhoAmI'] {
  const u = new URL(origin)
  // overrides may break the description's types: that is what a proxy in the way does.
  return {
    remote_addr: '127.0.0.1',
    scheme: u.protocol.replace(':', ''),
    host: u.host,
    port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
    script_root: prefix,
    url_root: `${u.origin}${prefix}/`,
    result_url: `${u.origin}${prefix}/result`,
    expected_prefix: prefix,
    ...overrides,
  } as Schemas['WhoAmI']
}

/** A description in the shape the API serves, cut down to what is read. */
export const DESCRIPTION = {
  openapi: '3.1.0',
  info: { title: 'Stack API', version: '1.0.0', summary: 'The API.' },
  servers: [{ url: 'https://app.example.com:8443/api' }],
  paths: {
    '/whoami': {
      get: {
        operationId: 'whoAmI',
        summary: 'The request as Flask sees it.',
        responses: {
          '200': {
            description: 'What the API saw.',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/WhoAmI' } } },
          },
          '502': { $ref: '#/components/responses/BadGateway' },
        },
      },
    },
    '/greeting/{name}': {
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
      post: {
        parameters: [{ $ref: '#/components/parameters/Lang' }],
        requestBody: {
          content: { 'application/json': { schema: { type: 'array', items: { type: 'string' } } } },
        },
        responses: { '201': { description: 'Made.', headers: { Location: {} } } },
      },
    },
  },
  components: {
    schemas: {
      WhoAmI: {
        type: 'object',
        required: ['scheme'],
        properties: {
          scheme: { type: 'string', enum: ['http', 'https'] },
          port: { type: 'integer', description: 'The public port.' },
        },
      },
    },
    parameters: { Lang: { name: 'lang', in: 'query', schema: { type: 'string', const: 'en' } } },
    responses: {
      BadGateway: {
        description: 'The API is not reachable (nginx).',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    },
  },
} as unknown as Schemas['OpenApiDocument']
