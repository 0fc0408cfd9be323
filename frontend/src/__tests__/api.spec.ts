import { afterEach, describe, expect, it, vi } from 'vitest'

import { API_PREFIX, ApiError, answer, apiPath, client, createApiClient } from '../api.ts'
import { fakeResponse, rejectionOf, stubFetch } from './fakeFetch.ts'
import { whoamiFor } from './fixtures.ts'

const get = (path: '/' | '/whoami' | '/health') => answer(client.GET(path))

const ORIGIN = 'http://localhost:8000'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('API prefix', () => {
  it('is the one set for the build, without a trailing slash', () => {
    expect(API_PREFIX).toBe(process.env.API_PREFIX || '/api')
    expect(API_PREFIX.startsWith('/')).toBe(true)
    expect(API_PREFIX.endsWith('/')).toBe(false)
  })

  it('builds endpoint paths under the prefix', () => {
    expect(apiPath('/whoami')).toBe(`${API_PREFIX}/whoami`)
    expect(apiPath('health')).toBe(`${API_PREFIX}/health`)
    expect(apiPath()).toBe(`${API_PREFIX}/`)
  })
})

/** The path and query a request went to. */
function pathOf(request: Request): string {
  const { pathname, search } = new URL(request.url)
  return pathname + search
}

describe('GET {prefix}/ (a redirect)', () => {
  it('asks for {prefix}/, follows the redirect and reports where it landed', async () => {
    const payload = {
      message: 'You followed the redirect and reached the result.',
      method: 'GET',
      url: `${ORIGIN}${API_PREFIX}/result`,
    }
    const fetchMock = stubFetch(async () =>
      fakeResponse({ body: payload, url: `${ORIGIN}${API_PREFIX}/result`, redirected: true }),
    )

    const result = await get('/')

    expect(fetchMock).toHaveBeenCalledTimes(1)
    const [request] = fetchMock.mock.calls[0]!
    expect(pathOf(request)).toBe(`${API_PREFIX}/`)
    expect(request.redirect).toBe('follow')
    expect(request.headers.get('accept')).toBe('application/json')
    expect(request.headers.get('content-type')).toBeNull()
    expect(result).toEqual({
      finalUrl: `${ORIGIN}${API_PREFIX}/result`,
      redirected: true,
      status: 200,
      requestId: '',
      data: payload,
    })
  })

  it('turns a JSON error into an ApiError with status and the API message', async () => {
    stubFetch(async () =>
      fakeResponse({
        status: 502,
        body: { error: 'Bad Gateway', message: 'The API is not running.', status: 502 },
        requestId: 'f00d',
      }),
    )

    const err = (await rejectionOf(get('/'))) as ApiError

    expect(err).toBeInstanceOf(ApiError)
    expect(err.name).toBe('ApiError')
    expect(err.status).toBe(502)
    expect(err.requestId).toBe('f00d')
    expect(err.message).toBe(
      `The API is down or restarting: GET ${API_PREFIX}/ answered 502 Bad Gateway (request id f00d).`,
    )
  })

  it('names the status even when the error body is not JSON', async () => {
    stubFetch(async () =>
      fakeResponse({
        status: 504,
        body: '<html><body>504 Gateway Time-out</body></html>',
        contentType: 'text/html',
      }),
    )

    const err = (await rejectionOf(get('/'))) as ApiError

    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(504)
    expect(err.message).toBe(
      `The API took longer than nginx waits for it (API_TIMEOUT): GET ${API_PREFIX}/ answered 504 Gateway Timeout.`,
    )
  })

  it('rejects a 200 answer that is not JSON (the SPA fallback page, for one)', async () => {
    stubFetch(async () =>
      fakeResponse({ body: '<!doctype html><html></html>', contentType: 'text/html' }),
    )

    const err = (await rejectionOf(get('/'))) as ApiError

    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(200)
    expect(err.message).toBe(
      `GET ${API_PREFIX}/ answered 200 with an HTML page instead of JSON, so ${API_PREFIX}/ is ` +
        'probably not routed to the API.',
    )
  })

  it('reports a network failure as an ApiError without a status', async () => {
    stubFetch(async () => {
      throw new TypeError('Failed to fetch')
    })

    const err = (await rejectionOf(get('/'))) as ApiError

    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBeNull()
    expect(err.message).toBe(
      `GET ${API_PREFIX}/ got no answer at all: the server is unreachable, or a redirect led to ` +
        'another origin (Failed to fetch).',
    )
    expect(err.cause).toBeInstanceOf(TypeError)
  })

  it('gives up after the timeout instead of waiting for ever', async () => {
    stubFetch(
      (request, init) =>
        new Promise((resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(new Error('aborted')))
        }),
    )

    const err = (await rejectionOf(answer(createApiClient(20).GET('/')))) as ApiError

    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBeNull()
    expect(err.message).toBe(`The API did not answer GET ${API_PREFIX}/ within 20 ms.`)
  })
})

describe('GET {prefix}/whoami', () => {
  it('asks {prefix}/whoami and returns what the API saw', async () => {
    const whoami = whoamiFor(ORIGIN, API_PREFIX)
    const fetchMock = stubFetch(async () =>
      fakeResponse({ body: whoami, url: `${ORIGIN}${API_PREFIX}/whoami` }),
    )

    const answer = await get('/whoami')

    expect(pathOf(fetchMock.mock.calls[0]![0])).toBe(`${API_PREFIX}/whoami`)
    expect(answer.status).toBe(200)
    expect(answer.redirected).toBe(false)
    expect(answer.data).toEqual(whoami)
  })

  it('uses the status text when the JSON error has no error field', async () => {
    stubFetch(async () =>
      fakeResponse({ status: 500, statusText: 'Internal Server Error', body: { message: 'boom' } }),
    )

    const err = await rejectionOf(get('/whoami'))

    expect(err.message).toBe(
      `The API failed on GET ${API_PREFIX}/whoami with 500 Internal Server Error, saying "boom".`,
    )
  })
})

describe('the typed client', () => {
  it('reads the JSON answer and its request id', async () => {
    const fetchMock = stubFetch(async () =>
      fakeResponse({ body: { status: 'ok' }, requestId: 'abc123' }),
    )

    const health = await answer(client.GET('/health'))

    const [request] = fetchMock.mock.calls[0]!
    expect(pathOf(request)).toBe(`${API_PREFIX}/health`)
    expect(request.method).toBe('GET')
    expect(request.body).toBeNull()
    expect(health.data).toEqual({ status: 'ok' })
    expect(health.data.status).toBe('ok')
    expect(health.requestId).toBe('abc123')
  })

  it('sends a POST as the description names it', async () => {
    const result = { message: 'You followed the redirect and reached the result.', method: 'POST' }
    const fetchMock = stubFetch(async () => fakeResponse({ body: result }))

    const posted = await answer(client.POST('/result'))

    const [request] = fetchMock.mock.calls[0]!
    expect(pathOf(request)).toBe(`${API_PREFIX}/result`)
    expect(request.method).toBe('POST')
    expect(request.headers.get('accept')).toBe('application/json')
    expect(posted.data.method).toBe('POST')
  })

  it('a JSON error keeps status, request id and the parsed body', async () => {
    const error = { error: 'Bad Request', message: 'text is required', status: 400 }
    stubFetch(async () => fakeResponse({ status: 400, body: error, requestId: 'req-42' }))

    const err = (await rejectionOf(answer(client.POST('/result')))) as ApiError

    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.requestId).toBe('req-42')
    expect(err.body).toEqual(error)
    expect(err.url).toBe(`${API_PREFIX}/result`)
    expect(err.message).toBe(
      `The API refused POST ${API_PREFIX}/result with 400 Bad Request, saying "text is required" (request id req-42).`,
    )
  })

  it('a non-JSON error has a status and request id but no body', async () => {
    stubFetch(async () =>
      fakeResponse({
        status: 500,
        body: '<html>500 Internal Server Error</html>',
        contentType: 'text/html',
        requestId: 'req-7',
      }),
    )

    const err = (await rejectionOf(get('/health'))) as ApiError

    expect(err.status).toBe(500)
    expect(err.requestId).toBe('req-7')
    expect(err.body).toBeUndefined()
    expect(err.message).toContain('the answer was not JSON')
  })

  it('a network failure has neither status nor request id', async () => {
    stubFetch(async () => {
      throw new TypeError('NetworkError when attempting to fetch resource.')
    })

    const err = (await rejectionOf(answer(client.POST('/result')))) as ApiError

    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBeNull()
    expect(err.requestId).toBe('')
    expect(err.body).toBeUndefined()
    expect(err.message).toContain(`POST ${API_PREFIX}/result got no answer at all`)
  })
})
