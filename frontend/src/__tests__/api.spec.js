import { afterEach, describe, expect, it, vi } from 'vitest'

import { API_PREFIX, ApiError, apiPath, get, post } from '../api.js'
import { fakeResponse, rejectionOf, stubFetch } from './fakeFetch.js'

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

describe('get {prefix}/ (a redirect)', () => {
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
    const [url, init] = fetchMock.mock.calls[0]
    expect(url).toBe(`${API_PREFIX}/`)
    expect(init.redirect).toBe('follow')
    expect(init.headers).toEqual({ Accept: 'application/json' })
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

    const err = await rejectionOf(get('/'))

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

    const err = await rejectionOf(get('/'))

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

    const err = await rejectionOf(get('/'))

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

    const err = await rejectionOf(get('/'))

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
      (url, init) =>
        new Promise((resolve, reject) => {
          init.signal.addEventListener('abort', () => reject(new Error('aborted')))
        }),
    )

    const err = await rejectionOf(get('/', { timeoutMs: 20 }))

    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBeNull()
    expect(err.message).toBe(`The API did not answer GET ${API_PREFIX}/ within 20 ms.`)
  })
})

describe('get {prefix}/whoami', () => {
  it('asks {prefix}/whoami and returns what the API saw', async () => {
    const whoami = {
      remote_addr: '127.0.0.1',
      scheme: 'http',
      host: 'localhost:8000',
      port: 8000,
      script_root: API_PREFIX,
      url_root: `${ORIGIN}${API_PREFIX}/`,
      result_url: `${ORIGIN}${API_PREFIX}/result`,
    }
    const fetchMock = stubFetch(async () =>
      fakeResponse({ body: whoami, url: `${ORIGIN}${API_PREFIX}/whoami` }),
    )

    const answer = await get('/whoami')

    expect(fetchMock.mock.calls[0][0]).toBe(`${API_PREFIX}/whoami`)
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

describe('get and post', () => {
  it('get reads the JSON answer and its request id', async () => {
    const fetchMock = stubFetch(async () =>
      fakeResponse({ body: { status: 'ok' }, requestId: 'abc123' }),
    )

    const answer = await get('/health')

    const [url, init] = fetchMock.mock.calls[0]
    expect(url).toBe(`${API_PREFIX}/health`)
    expect(init.method).toBe('GET')
    expect(init.body).toBeUndefined()
    expect(answer.data).toEqual({ status: 'ok' })
    expect(answer.requestId).toBe('abc123')
  })

  it('post sends its body as JSON', async () => {
    const fetchMock = stubFetch(async (url, init) =>
      fakeResponse({ status: 201, body: { echo: JSON.parse(init.body) } }),
    )

    const answer = await post('/notes', { text: 'hi', tags: ['a'] })

    const [url, init] = fetchMock.mock.calls[0]
    expect(url).toBe(`${API_PREFIX}/notes`)
    expect(init.method).toBe('POST')
    expect(init.headers).toEqual({
      Accept: 'application/json',
      'Content-Type': 'application/json',
    })
    expect(init.body).toBe('{"text":"hi","tags":["a"]}')
    expect(answer.status).toBe(201)
    expect(answer.data).toEqual({ echo: { text: 'hi', tags: ['a'] } })
  })

  it('a JSON error keeps status, request id and the parsed body', async () => {
    const error = { error: 'Bad Request', message: 'text is required', status: 400 }
    stubFetch(async () => fakeResponse({ status: 400, body: error, requestId: 'req-42' }))

    const err = await rejectionOf(post('/notes', {}))

    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.requestId).toBe('req-42')
    expect(err.body).toEqual(error)
    expect(err.url).toBe(`${API_PREFIX}/notes`)
    expect(err.message).toBe(
      `The API refused POST ${API_PREFIX}/notes with 400 Bad Request, saying "text is required" (request id req-42).`,
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

    const err = await rejectionOf(get('/slow'))

    expect(err.status).toBe(500)
    expect(err.requestId).toBe('req-7')
    expect(err.body).toBeUndefined()
    expect(err.message).toContain('the answer was not JSON')
  })

  it('a network failure has neither status nor request id', async () => {
    stubFetch(async () => {
      throw new TypeError('NetworkError when attempting to fetch resource.')
    })

    const err = await rejectionOf(post('/notes', { text: 'hi' }))

    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBeNull()
    expect(err.requestId).toBe('')
    expect(err.body).toBeUndefined()
    expect(err.message).toContain(`POST ${API_PREFIX}/notes got no answer at all`)
  })
})
