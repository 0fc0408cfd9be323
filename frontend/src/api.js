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
   * @param {string} message what went wrong, in plain words
   * @param {{status?: number|null, url?: string, cause?: unknown}} [details]
   *   status is the HTTP status, or null when no answer came at all
   */
  constructor(message, { status = null, url = '', cause } = {}) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'ApiError'
    this.status = status
    this.url = url
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

async function request(path, { timeoutMs = DEFAULT_TIMEOUT_MS, method = 'GET' } = {}) {
  const url = apiPath(path)
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
      headers: { Accept: 'application/json' },
      signal: controller.signal,
    })
    text = await response.text()
  } catch (err) {
    if (timedOut) {
      throw new ApiError(
        `The API did not answer ${method} ${url} within ${Math.round(timeoutMs / 1000)} s.`,
        { url, cause: err },
      )
    }
    const detail = err && err.message ? ` (${err.message})` : ''
    throw new ApiError(
      `The request to ${method} ${url} failed before any answer came back${detail}: ` +
        'the server may be down, or a redirect pointed to another origin.',
      { url, cause: err },
    )
  } finally {
    clearTimeout(timer)
  }

  const contentType = (response.headers && response.headers.get('content-type')) || ''
  const parsed = parseJson(text)
  const body = parsed.ok ? parsed.value : undefined

  if (!response.ok) {
    const reason = reasonFor(response, body)
    let detail
    if (body && typeof body.message === 'string' && body.message) {
      detail = `: ${body.message}`
    } else if (parsed.ok) {
      detail = '.'
    } else {
      detail = ' (and the answer was not JSON, so it probably did not come from the API).'
    }
    throw new ApiError(`The API answered ${response.status} ${reason}${detail}`, {
      status: response.status,
      url,
    })
  }

  if (!parsed.ok) {
    const what = looksLikeHtml(text, contentType)
      ? 'an HTML page'
      : `something that is not JSON${contentType ? ` (${contentType})` : ''}`
    throw new ApiError(
      `${method} ${url} answered ${response.status} with ${what} instead of JSON: ` +
        `the request probably did not reach the API (is ${API_PREFIX}/ routed to it?).`,
      { status: response.status, url },
    )
  }

  return {
    finalUrl: response.url,
    redirected: response.redirected,
    status: response.status,
    data: body,
  }
}

/**
 * GET {prefix}/ and let the browser follow the redirect it answers with.
 * finalUrl is where the browser landed.
 */
export function fetchResult(options) {
  return request('/', options)
}

/** GET {prefix}/whoami: how the API sees the request (scheme, host, port...). */
export function fetchWhoami(options) {
  return request('/whoami', options)
}

/** GET {prefix}/health. */
export function fetchHealth(options) {
  return request('/health', options)
}
