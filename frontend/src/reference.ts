/**
 * The API's description, as GET {prefix}/openapi.json serves it, turned into what the reference
 * page lists: the server URL, every operation with its parameters and answers, and the schemas.
 * Pure: no DOM, no network. Only the parts of OpenAPI 3.1 that the description uses are read.
 */
import type { Schemas } from './api.ts'

interface SchemaObject {
  $ref?: string
  type?: string | string[]
  format?: string
  enum?: unknown[]
  const?: unknown
  items?: SchemaObject
  anyOf?: SchemaObject[]
  oneOf?: SchemaObject[]
  properties?: Record<string, SchemaObject>
  required?: string[]
  description?: string
}

interface ParameterObject {
  $ref?: string
  name?: string
  in?: string
  required?: boolean
  description?: string
  schema?: SchemaObject
}

interface ResponseObject {
  $ref?: string
  description?: string
  content?: Record<string, { schema?: SchemaObject }>
  headers?: Record<string, { $ref?: string }>
}

interface OperationObject {
  operationId?: string
  summary?: string
  description?: string
  parameters?: ParameterObject[]
  requestBody?: { content?: Record<string, { schema?: SchemaObject }> }
  responses?: Record<string, ResponseObject>
}

interface Document {
  info?: { title?: string; version?: string; summary?: string }
  servers?: { url: string }[]
  paths?: Record<string, Record<string, OperationObject | ParameterObject[]>>
  components?: { schemas?: Record<string, SchemaObject> }
}

/** The methods an OpenAPI path item may hold, in the order the page lists them. */
export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

export interface Parameter {
  name: string
  in: string
  required: boolean
  type: string
  description: string
}

export interface ResponseInfo {
  status: string
  description: string
  /** 'application/json: WhoAmI', one per media type. */
  bodies: string[]
  headers: string[]
}

export interface Operation {
  /** operationId, or method and path when the description gives none. */
  id: string
  method: string
  path: string
  summary: string
  description: string
  parameters: Parameter[]
  /** 'application/json: Note', one per media type. */
  requestBodies: string[]
  responses: ResponseInfo[]
}

export interface Field {
  name: string
  type: string
  required: boolean
  description: string
}

export interface Schema {
  name: string
  type: string
  description: string
  fields: Field[]
}

export interface Reference {
  title: string
  version: string
  summary: string
  /** servers[0].url: the public API root as the browser reached it. */
  serverUrl: string
  operations: Operation[]
  schemas: Schema[]
}

/** '#/components/responses/BadRequest' -> that object of the document (undefined if missing). */
function resolve<T extends { $ref?: string }>(doc: Document, value: T): T | undefined {
  if (!value.$ref) return value
  if (!value.$ref.startsWith('#/')) return undefined
  let node: unknown = doc
  for (const raw of value.$ref.slice(2).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined
  }
  return node && typeof node === 'object' ? (node as T) : undefined
}

/** A schema in a few words: 'WhoAmI', 'string (uri)', 'array of Error', '"ok"', 'GET | POST'. */
export function typeLabel(schema: SchemaObject | undefined): string {
  if (!schema) return 'any'
  if (schema.$ref) return schema.$ref.split('/').pop() || schema.$ref
  if (schema.const !== undefined) return JSON.stringify(schema.const)
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ')
  const union = schema.anyOf || schema.oneOf
  if (union) return union.map(typeLabel).join(' | ')
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type || 'any'
  if (type === 'array') return `array of ${typeLabel(schema.items)}`
  return schema.format ? `${type} (${schema.format})` : type
}

function bodiesOf(content: Record<string, { schema?: SchemaObject }> | undefined): string[] {
  return Object.entries(content || {}).map(
    ([media, { schema }]) => `${media}: ${typeLabel(schema)}`,
  )
}

function parameterOf(doc: Document, raw: ParameterObject): Parameter | null {
  const p = resolve(doc, raw)
  if (!p || !p.name) return null
  return {
    name: p.name,
    in: p.in || '',
    required: Boolean(p.required),
    type: typeLabel(p.schema),
    description: p.description || '',
  }
}

function responseOf(doc: Document, status: string, raw: ResponseObject): ResponseInfo {
  const r = resolve(doc, raw) || {}
  return {
    status,
    description: r.description || '',
    bodies: bodiesOf(r.content),
    headers: Object.keys(r.headers || {}),
  }
}

function operationsOf(doc: Document): Operation[] {
  const operations: Operation[] = []
  for (const [path, item] of Object.entries(doc.paths || {})) {
    const shared = (item.parameters as ParameterObject[] | undefined) || []
    for (const method of METHODS) {
      const op = item[method] as OperationObject | undefined
      if (!op) continue
      const parameters = [...shared, ...(op.parameters || [])]
        .map((p) => parameterOf(doc, p))
        .filter((p): p is Parameter => p !== null)
      operations.push({
        id: op.operationId || `${method}-${path}`,
        method: method.toUpperCase(),
        path,
        summary: op.summary || '',
        description: op.description || '',
        parameters,
        requestBodies: bodiesOf(op.requestBody?.content),
        responses: Object.entries(op.responses || {}).map(([status, r]) =>
          responseOf(doc, status, r),
        ),
      })
    }
  }
  return operations
}

function schemasOf(doc: Document): Schema[] {
  return Object.entries(doc.components?.schemas || {}).map(([name, schema]) => ({
    name,
    type: schema.properties ? 'object' : typeLabel(schema),
    description: schema.description || '',
    fields: Object.entries(schema.properties || {}).map(([field, s]) => ({
      name: field,
      type: typeLabel(s),
      required: (schema.required || []).includes(field),
      description: s.description || '',
    })),
  }))
}

/** What the reference page shows of the description the API served. */
export function readReference(description: Schemas['OpenApiDocument']): Reference {
  // The description types its own document loosely (an object with these four keys); the
  // parts read here are typed above.
  const doc = description as unknown as Document
  return {
    title: doc.info?.title || 'API',
    version: doc.info?.version || '',
    summary: doc.info?.summary || '',
    serverUrl: doc.servers?.[0]?.url || '',
    operations: operationsOf(doc),
    schemas: schemasOf(doc),
  }
}
