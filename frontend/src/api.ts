/**
 * The only module that knows where the API lives. Every call to the API goes through `client`,
 * which is typed from the API's description (backend/app/openapi.yaml, turned into
 * ./api-schema.d.ts by `make api-types`): a path, a parameter or a field that the description
 * does not have fails the type check.
 *
 * The prefix is fixed at build time from the API_PREFIX environment variable (see
 * vite.config.ts), and the API is always on the same origin as the page, so every URL here is
 * a path.
 */
import createClient from 'openapi-fetch'

import type { components, paths } from './api-schema'

/** The description's schemas: Schemas['WhoAmI'] is the body of GET {prefix}/whoami. */
export type Schemas = components['schemas']

export const API_PREFIX: string = __API_PREFIX__

/** How long to wait for an answer before giving up (milliseconds). */
export const DEFAULT_TIMEOUT_MS = 15000

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

export interface ApiErrorDetails {
  /** The HTTP status, or null when no answer came at all. */
  status?: number | null
  url?: string
  /** The answer's X-Request-ID (nginx writes it in its access log), '' when none. */
  requestId?: string
  /** The answer parsed as JSON (undefined when it was not JSON), e.g. a 400's details. */
  body?: unknown
  cause?: unknown
}

export class ApiError extends Error {
  readonly status: number | null
  readonly url: string
  readonly requestId: string
  readonly body: unknown

  /** @param message what went wrong, in one plain sentence */
  constructor(
    message: string,
    { status = null, url = '', requestId = '', body, cause }: ApiErrorDetails = {},
  ) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'ApiError'
    this.status = status
    this.url = url
    this.requestId = requestId
    this.body = body
  }
}

/** Full path of an API endpoint, e.g. apiPath('/whoami') -> '/api/whoami'. */
export function apiPath(path = '/'): string {
  return API_PREFIX + (path.startsWith('/') ? path : `/${path}`)
}

function reasonFor(response: Response, body: unknown): string {
  const error = (body as { error?: unknown } | undefined)?.error
  if (typeof error === 'string' && error) return error
  if (response.statusText) return response.statusText
  return REASONS[response.status] || 'Error'
}

function parseJson(text: string): { ok: boolean; value: unknown } {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false, value: undefined }
  }
}

function looksLikeHtml(text: string, contentType: string): boolean {
  return /text\/html/i.test(contentType) || /^\s*<(!doctype|html)/i.test(text)
}

interface Failure {
  what: string
  status: number
  reason: string
  body: unknown
  parsed: boolean
  id: string
}

/**
 * One sentence for an answer that is an HTTP error: what failed, the status, and the request
 * id to look up in the logs. The API's own message is quoted only where it adds something:
 * for 502, 503 and 504 nginx's message would only repeat the sentence.
 */
function errorSentence({ what, status, reason, body, parsed, id }: Failure): string {
  const said = (body as { message?: unknown } | undefined)?.message
  const message = typeof said === 'string' ? said.trim().replace(/\.$/, '') : ''
  const saying = message ? `, saying "${message}"` : parsed ? '' : ', and the answer was not JSON'
  if (status === 502 || status === 503) {
    return `The API is down or restarting: ${what} answered ${status} ${reason}${id}.`
  }
  if (status === 504) {
    return `The API took longer than nginx waits for it (API_TIMEOUT): ${what} answered ${status} ${reason}${id}.`
  }
  if (status >= 400 && status < 500) {
    return `The API refused ${what} with ${status} ${reason}${saying}${id}.`
  }
  return `The API failed on ${what} with ${status} ${reason}${saying}${id}.`
}

/**
 * The client's fetch: the answer when it is a success in JSON, else an ApiError that says in
 * one sentence what went wrong (no answer in time, no answer at all, an HTTP error, or a page
 * that is not JSON).
 */
async function checkedFetch(request: Request, timeoutMs: number): Promise<Response> {
  const { method } = request
  const { pathname, search } = new URL(request.url)
  const url = pathname + search
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, timeoutMs)

  let response: Response
  let text: string
  try {
    response = await fetch(request, { signal: controller.signal })
    text = await response.clone().text()
  } catch (err) {
    if (timedOut) {
      const wait = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`
      throw new ApiError(`The API did not answer ${method} ${url} within ${wait}.`, {
        url,
        cause: err,
      })
    }
    const detail = err instanceof Error && err.message ? ` (${err.message})` : ''
    throw new ApiError(
      `${method} ${url} got no answer at all: the server is unreachable, or a redirect led to ` +
        `another origin${detail}.`,
      { url, cause: err },
    )
  } finally {
    clearTimeout(timer)
  }

  const contentType = response.headers.get('content-type') || ''
  const requestId = response.headers.get('x-request-id') || ''
  const id = requestId ? ` (request id ${requestId})` : ''
  const parsed = parseJson(text)
  const body = parsed.ok ? parsed.value : undefined
  const { status } = response

  if (!response.ok) {
    const reason = reasonFor(response, body)
    const what = `${method} ${url}`
    throw new ApiError(errorSentence({ what, status, reason, body, parsed: parsed.ok, id }), {
      status,
      url,
      requestId,
      body,
    })
  }

  if (!parsed.ok) {
    const what = looksLikeHtml(text, contentType)
      ? 'an HTML page'
      : `something that is not JSON${contentType ? ` (${contentType})` : ''}`
    throw new ApiError(
      `${method} ${url} answered ${status} with ${what} instead of JSON, so ${API_PREFIX}/ is ` +
        `probably not routed to the API${id}.`,
      { status, url, requestId },
    )
  }

  return response
}

/**
 * A client for the API that waits `timeoutMs` for each answer. Its calls are typed from the
 * description: client.GET('/whoami'), client.POST('/result'), with `params` for the query,
 * path and headers and `body` for a JSON body, as the description says.
 */
export function createApiClient(timeoutMs = DEFAULT_TIMEOUT_MS) {
  return createClient<paths>({
    baseUrl: API_PREFIX,
    headers: { Accept: 'application/json' },
    fetch: (request) => checkedFetch(request, timeoutMs),
  })
}

export const client = createApiClient()

/** What a call answered: its JSON, typed from the description, and where it ended up. */
export interface Answer<T> {
  data: T
  status: number
  /** X-Request-ID, the id in nginx's and gunicorn's logs ('' when none). */
  requestId: string
  /** The URL the browser landed on, after the redirects it followed. */
  finalUrl: string
  redirected: boolean
}

/**
 * Wait for a call through `client` and return its Answer, e.g.
 * `const { data } = await answer(client.GET('/whoami'))`. Rejects with an ApiError.
 */
export async function answer<T>(
  call: Promise<{ data?: T; response: Response }>,
): Promise<Answer<T>> {
  const { data, response } = await call
  return {
    // The client's fetch lets only a success in JSON through, so the data is there.
    data: data as T,
    status: response.status,
    requestId: response.headers.get('x-request-id') || '',
    finalUrl: response.url,
    redirected: response.redirected,
  }
}
