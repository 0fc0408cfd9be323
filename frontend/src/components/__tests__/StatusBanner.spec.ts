import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'

import StatusBanner from '../StatusBanner.vue'
import { API_PREFIX, ApiError, DEFAULT_TIMEOUT_MS, answer, createApiClient } from '../../api.ts'
import { fakeResponse, rejectionOf, stubFetch } from '../../__tests__/fakeFetch.ts'

const WHOAMI = `GET ${API_PREFIX}/whoami`
const ID = '5f0c2a9e8b7d4c1e'

/** An error answer in the shape nginx and the API both write, with nginx's X-Request-ID. */
const jsonError = (status: number, error: string, message: string) => () =>
  fakeResponse({ status, body: { error, message, status }, requestId: ID })

/** The answers nginx and the API really give for each failure (bodies as they send them). */
const CLASSES = [
  {
    name: 'API down (nginx 502)',
    answer: jsonError(502, 'Bad Gateway', 'The API is not reachable: it is down or restarting.'),
    sentence: `The API is down or restarting: ${WHOAMI} answered 502 Bad Gateway (request id ${ID}).`,
  },
  {
    name: 'API down (nginx 503)',
    answer: jsonError(
      503,
      'Service Unavailable',
      'The API is not reachable: it is down or restarting.',
    ),
    sentence: `The API is down or restarting: ${WHOAMI} answered 503 Service Unavailable (request id ${ID}).`,
  },
  {
    name: 'timeout (nginx 504)',
    answer: jsonError(504, 'Gateway Timeout', 'The API did not answer within API_TIMEOUT.'),
    sentence:
      `The API took longer than nginx waits for it (API_TIMEOUT): ${WHOAMI} answered 504 Gateway Timeout ` +
      `(request id ${ID}).`,
  },
  {
    name: '4xx (a host not in ALLOWED_HOSTS)',
    answer: jsonError(
      400,
      'Bad Request',
      'This host is not served here: it is not in ALLOWED_HOSTS.',
    ),
    sentence:
      `The API refused ${WHOAMI} with 400 Bad Request, saying "This host is not served here: it is not in ` +
      `ALLOWED_HOSTS" (request id ${ID}).`,
  },
  {
    name: '4xx (an unknown route)',
    answer: jsonError(404, 'Not Found', 'The requested URL was not found on the server.'),
    sentence:
      `The API refused ${WHOAMI} with 404 Not Found, saying "The requested URL was not found on the server" ` +
      `(request id ${ID}).`,
  },
  {
    name: '5xx (the API failed)',
    answer: jsonError(500, 'Internal Server Error', 'The server encountered an internal error.'),
    sentence:
      `The API failed on ${WHOAMI} with 500 Internal Server Error, saying "The server encountered an internal ` +
      `error" (request id ${ID}).`,
  },
  {
    name: '5xx from something that is not the API (HTML, no request id)',
    answer: () =>
      fakeResponse({
        status: 500,
        statusText: 'Internal Server Error',
        body: '<html>oops</html>',
        contentType: 'text/html',
      }),
    sentence: `The API failed on ${WHOAMI} with 500 Internal Server Error, and the answer was not JSON.`,
  },
  {
    name: 'network error',
    answer: () => {
      throw new TypeError('Failed to fetch')
    },
    sentence:
      `${WHOAMI} got no answer at all: the server is unreachable, or a redirect led to another origin ` +
      '(Failed to fetch).',
  },
]

/** The banner as HomeView shows it when whoami failed: the real api.ts wrote the sentence. */
async function bannerFor(timeoutMs = DEFAULT_TIMEOUT_MS) {
  const err = await rejectionOf(answer(createApiClient(timeoutMs).GET('/whoami')))
  return mount(StatusBanner, { props: { state: 'error', errors: [err.message] } })
}

afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
})

describe('StatusBanner error sentences', () => {
  it.each(CLASSES)(
    '$name: one sentence with the status and request id',
    async ({ answer, sentence }) => {
      stubFetch(async () => answer())

      const wrapper = await bannerFor()

      const text = wrapper.get('[data-testid="api-error"]').text()
      expect(text).toBe(sentence)
      // Said once: one sentence (one full stop, outside the quoted API message), no list after it.
      expect(text.replace(/"[^"]*"/g, '""').match(/\./g)).toHaveLength(1)
      expect(wrapper.findAll('li')).toHaveLength(0)
      expect(wrapper.get('.banner__title').text()).toBe('The checks could not run')
    },
  )

  it('timeout in the browser: the wait, and no status because nothing answered', async () => {
    stubFetch(
      (request, init) =>
        new Promise((resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(new Error('aborted')))
        }),
    )

    const wrapper = await bannerFor(10)

    expect(wrapper.get('[data-testid="api-error"]').text()).toBe(
      `The API did not answer ${WHOAMI} within 10 ms.`,
    )
  })

  it('a whole-second timeout is said in seconds', async () => {
    vi.useFakeTimers()
    stubFetch(
      (request, init) =>
        new Promise((resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(new Error('aborted')))
        }),
    )

    const pending = rejectionOf(answer(createApiClient().GET('/whoami')))
    await vi.advanceTimersByTimeAsync(15000)
    const err = (await pending) as ApiError

    expect(err.message).toBe(`The API did not answer ${WHOAMI} within 15 s.`)
    expect(err.status).toBeNull()
  })
})
