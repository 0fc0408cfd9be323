/* global __API_PREFIX__ */
/**
 * The only module that knows where the API lives. Every call to the API
 * goes through here.
 *
 * The prefix is fixed at build time from the API_PREFIX environment
 * variable (see vite.config.js), and the API is always on the same origin
 * as the page, so every URL here is a path.
 */

export const API_PREFIX = __API_PREFIX__

/** How long to wait for an answer before giving up (milliseconds). */
export const DEFAULT_TIMEOUT_MS = 15000

const REASONS = {
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

export class ApiError extends Error {
  /**
   * @param {string} message what went wrong, in one plain sentence
   * @param {{status?: number|null, url?: string, requestId?: string, body?: unknown,
   *   cause?: unknown}} [details]
   *   status: the HTTP status, or null when no answer came at all;
   *   requestId: the answer's X-Request-ID (nginx writes it in its access log), '' when none;
   *   body: the answer parsed as JSON (undefined when it was not JSON), e.g. a 400's details
   */
  constructor(message, { status = null, url = '', requestId = '', body, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'ApiError'
    this.status = status
    this.url = url
    this.requestId = requestId
    this.body = body
  }
}

/** Full path of an API endpoint, e.g. apiPath('/whoami') -> '/api/whoami'. */
export function apiPath(path = '/') {
  return API_PREFIX + (path.startsWith('/') ? path : `/${path}`)
}

function reasonFor(response, body) {
  if (body && typeof body.error === 'string' && body.error) return body.error
  if (response.statusText) return response.statusText
  return REASONS[response.status] || 'Error'
}

function parseJson(text) {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false, value: undefined }
  }
}

function looksLikeHtml(text, contentType) {
  return /text\/html/i.test(contentType) || /^\s*<(!doctype|html)/i.test(text)
}

/**
 * One sentence for an answer that is an HTTP error: what failed, the status, and the request
 * id to look up in the logs. The API's own message is quoted only where it adds something:
 * for 502, 503 and 504 nginx's message would only repeat the sentence.
 */
function errorSentence({ what, status, reason, body, parsed, id }) {
  const message =
    body && typeof body.message === 'string' ? body.message.trim().replace(/\.$/, '') : ''
  const said = message ? `, saying "${message}"` : parsed ? '' : ', and the answer was not JSON'
  if (status === 502 || status === 503) {
    return `The API is down or restarting: ${what} answered ${status} ${reason}${id}.`
  }
  if (status === 504) {
    return `The API took longer than nginx waits for it (API_TIMEOUT): ${what} answered ${status} ${reason}${id}.`
  }
  if (status >= 400 && status < 500) {
    return `The API refused ${what} with ${status} ${reason}${said}${id}.`
  }
  return `The API failed on ${what} with ${status} ${reason}${said}${id}.`
}

async function request(method, path, { timeoutMs = DEFAULT_TIMEOUT_MS, body: payload } = {}) {
  const url = apiPath(path)
  const headers = { Accept: 'application/json' }
  if (payload !== undefined) headers['Content-Type'] = 'application/json'
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, timeoutMs)

  let response
  let text
  try {
    response = await fetch(url, {
      method,
      redirect: 'follow',
      headers,
      body: payload === undefined ? undefined : JSON.stringify(payload),
      signal: controller.signal,
    })
    text = await response.text()
  } catch (err) {
    if (timedOut) {
      const wait = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`
      throw new ApiError(`The API did not answer ${method} ${url} within ${wait}.`, {
        url,
        cause: err,
      })
    }
    const detail = err && err.message ? ` (${err.message})` : ''
    throw new ApiError(
      `${method} ${url} got no answer at all: the server is unreachable, or a redirect led to ` +
        `another origin${detail}.`,
      { url, cause: err },
    )
  } finally {
    clearTimeout(timer)
  }

  const header = (name) => (response.headers && response.headers.get(name)) || ''
  const contentType = header('content-type')
  const requestId = header('x-request-id')
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

  return {
    data: body,
    status,
    requestId,
    finalUrl: response.url,
    redirected: response.redirected,
  }
}

/**
 * GET {prefix}{path}. Resolves to {data, status, requestId, finalUrl, redirected}
 * (data: the parsed JSON); rejects with an ApiError.
 */
export function get(path, options) {
  return request('GET', path, options)
}

/** POST {prefix}{path} with `body` sent as JSON; answers as get() does. */
export function post(path, body, options) {
  return request('POST', path, { ...options, body })
}
