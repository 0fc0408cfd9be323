import type { Schemas } from '../api.ts'

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
