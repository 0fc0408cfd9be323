import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'

import HomeView from '../HomeView.vue'
import { API_PREFIX, ApiError, client, type Schemas } from '../../api.ts'
import { CHECK_IDS } from '../../diagnose.ts'
import { fakeResponse } from '../../__tests__/fakeFetch.ts'
import { whoamiFor } from '../../__tests__/fixtures.ts'

interface Call {
  data: unknown
  response: Response
}

// The view's two calls: client.GET('/') (the redirect) and client.GET('/whoami').
const fetchResult = vi.fn<() => Promise<Call>>()
const fetchWhoami = vi.fn<() => Promise<Call>>()

// The test environment's page is at http://localhost:8000/ (vite.config.ts).
const ORIGIN = 'http://localhost:8000'
const RESULT_URL = `${ORIGIN}${API_PREFIX}/result`
const MESSAGE = 'You followed the redirect and reached the result.'

function resultAnswer(finalUrl = RESULT_URL): Call {
  return {
    response: fakeResponse({ url: finalUrl, redirected: true }),
    data: { message: MESSAGE, method: 'GET', url: RESULT_URL },
  }
}

function whoamiAnswer(overrides: Partial<Schemas['WhoAmI']> = {}): Call {
  return {
    response: fakeResponse({ url: `${ORIGIN}${API_PREFIX}/whoami` }),
    data: whoamiFor(ORIGIN, API_PREFIX, overrides),
  }
}

const text = (wrapper: VueWrapper, id: string) => wrapper.get(`[data-testid="${id}"]`).text()
const testids = (wrapper: VueWrapper) =>
  wrapper.findAll('[data-testid]').map((el) => el.attributes('data-testid'))

beforeEach(() => {
  fetchResult.mockReset()
  fetchWhoami.mockReset()
  const get = (path: string) => (path === '/whoami' ? fetchWhoami() : fetchResult())
  vi.spyOn(client, 'GET').mockImplementation(get as unknown as typeof client.GET)
})

describe('HomeView', () => {
  it('shows the ok state when every URL matches', async () => {
    fetchResult.mockResolvedValue(resultAnswer())
    fetchWhoami.mockResolvedValue(whoamiAnswer())

    const wrapper = mount(HomeView)
    await flushPromises()

    expect(fetchResult).toHaveBeenCalledTimes(1)
    expect(fetchWhoami).toHaveBeenCalledTimes(1)
    const banner = wrapper.get('[data-testid="status-banner"]')
    expect(banner.attributes('data-state')).toBe('ok')
    expect(banner.text()).toContain('Every URL comes out right')

    expect(text(wrapper, 'browser-origin')).toBe(ORIGIN)
    expect(text(wrapper, 'landed-url')).toBe(RESULT_URL)
    expect(text(wrapper, 'result-message')).toBe(MESSAGE)
    expect(text(wrapper, 'api-scheme')).toBe('http')
    expect(text(wrapper, 'api-host')).toBe('localhost:8000')
    expect(text(wrapper, 'api-port')).toBe('8000')
    expect(text(wrapper, 'api-prefix')).toBe(API_PREFIX)
    expect(text(wrapper, 'api-remote-addr')).toBe('127.0.0.1')
    expect(text(wrapper, 'api-result-url')).toBe(RESULT_URL)

    for (const id of CHECK_IDS) {
      expect(wrapper.get(`[data-testid="check-${id}"]`).attributes('data-ok')).toBe('true')
    }
    expect(wrapper.find('[data-testid="api-error"]').exists()).toBe(false)
    expect(wrapper.text()).not.toContain('does not match')
  })

  it('lists each mismatch in the problem state', async () => {
    fetchResult.mockRejectedValue(
      new ApiError(`The request to GET ${API_PREFIX}/ failed before any answer came back`),
    )
    fetchWhoami.mockResolvedValue(
      whoamiAnswer({
        host: 'localhost',
        port: 80,
        result_url: `http://localhost${API_PREFIX}/result`,
        url_root: `http://localhost${API_PREFIX}/`,
      }),
    )

    const wrapper = mount(HomeView)
    await flushPromises()

    const banner = wrapper.get('[data-testid="status-banner"]')
    expect(banner.attributes('data-state')).toBe('problem')
    expect(banner.text()).toContain('3 of 6 checks found a problem')
    expect(banner.text()).toContain(
      'The API builds URLs with port 80, but you reached it on port 8000',
    )
    expect(banner.findAll('li').map((li) => li.attributes('data-testid'))).toEqual([
      'problem-port',
      'problem-redirect',
      'problem-url_for',
    ])

    const ok = Object.fromEntries(
      CHECK_IDS.map((id) => [id, wrapper.get(`[data-testid="check-${id}"]`).attributes('data-ok')]),
    )
    expect(ok).toEqual({
      scheme: 'true',
      host: 'true',
      port: 'false',
      prefix: 'true',
      redirect: 'false',
      url_for: 'false',
    })
    expect(text(wrapper, 'api-port')).toBe('80')
    expect(text(wrapper, 'api-result-url')).toBe(`http://localhost${API_PREFIX}/result`)
    expect(text(wrapper, 'result-message')).toContain('No result: The request to GET')
  })

  it('shows a visible error, not a spinner, when the API is down', async () => {
    const down = (path: string, id: string) =>
      new ApiError(
        `The API is down or restarting: GET ${API_PREFIX}${path} answered 502 Bad Gateway (request id ${id}).`,
        { status: 502, requestId: id },
      )
    fetchResult.mockRejectedValue(down('/', 'a1'))
    fetchWhoami.mockRejectedValue(down('/whoami', 'b2'))

    const wrapper = mount(HomeView)
    await flushPromises()

    const banner = wrapper.get('[data-testid="status-banner"]')
    expect(banner.attributes('data-state')).toBe('error')
    // whoami's failure, once, as api.ts wrote it; the result's shows in its own panel.
    expect(text(wrapper, 'api-error')).toBe(
      `The API is down or restarting: GET ${API_PREFIX}/whoami answered 502 Bad Gateway (request id b2).`,
    )
    expect(banner.text().match(/502/g)).toHaveLength(1)
    expect(text(wrapper, 'result-message')).toContain('(request id a1)')
    expect(wrapper.find('.spinner').exists()).toBe(false)
    for (const id of CHECK_IDS) {
      const check = wrapper.get(`[data-testid="check-${id}"]`)
      expect(check.attributes('data-ok')).toBeUndefined()
      expect(check.text()).toContain('Not checked')
    }
  })

  it('keeps the same structure while loading as once loaded', async () => {
    let finish = () => {}
    const pending = new Promise<void>((resolve) => {
      finish = resolve
    })
    fetchResult.mockReturnValue(pending.then(() => resultAnswer()))
    fetchWhoami.mockReturnValue(pending.then(() => whoamiAnswer()))

    const wrapper = mount(HomeView)
    await flushPromises()

    const banner = wrapper.get('[data-testid="status-banner"]')
    expect(banner.attributes('data-state')).toBe('loading')
    expect(wrapper.find('.spinner').exists()).toBe(true)
    const loadingIds = testids(wrapper)
    const loadingSkeletons = wrapper.findAll('.skeleton').length
    for (const id of CHECK_IDS) {
      expect(wrapper.get(`[data-testid="check-${id}"]`).attributes('data-ok')).toBeUndefined()
    }
    // What is known without the API is shown at once.
    expect(text(wrapper, 'browser-origin')).toBe(ORIGIN)
    expect(text(wrapper, 'api-host')).toBe('')
    expect(loadingSkeletons).toBeGreaterThanOrEqual(1 + 6 + 1 + 6)

    finish()
    await flushPromises()

    expect(banner.attributes('data-state')).toBe('ok')
    expect(wrapper.findAll('.skeleton')).toHaveLength(0)
    expect(testids(wrapper)).toEqual(loadingIds)
    expect(text(wrapper, 'api-host')).toBe('localhost:8000')
  })

  it('runs the checks again on "Run again"', async () => {
    fetchResult.mockResolvedValue(resultAnswer())
    fetchWhoami.mockResolvedValue(whoamiAnswer())
    const wrapper = mount(HomeView)
    await flushPromises()
    expect(wrapper.get('[data-testid="status-banner"]').attributes('data-state')).toBe('ok')

    fetchWhoami.mockResolvedValue(whoamiAnswer({ script_root: '/elsewhere' }))
    const button = wrapper.get('button[data-testid="rerun"]')
    expect(button.text()).toBe('Run again')
    await button.trigger('click')
    await flushPromises()

    expect(fetchResult).toHaveBeenCalledTimes(2)
    expect(fetchWhoami).toHaveBeenCalledTimes(2)
    expect(wrapper.get('[data-testid="status-banner"]').attributes('data-state')).toBe('problem')
    expect(wrapper.get('[data-testid="check-prefix"]').attributes('data-ok')).toBe('false')
    expect(text(wrapper, 'problem-prefix')).toContain(
      `The API is mounted at /elsewhere, but the SPA was built for ${API_PREFIX}`,
    )
  })

  it('ignores "Run again" while a run is still going', async () => {
    fetchResult.mockReturnValue(new Promise(() => {}))
    fetchWhoami.mockReturnValue(new Promise(() => {}))
    const wrapper = mount(HomeView)

    const button = wrapper.get('[data-testid="rerun"]')
    expect(button.attributes('aria-disabled')).toBe('true')
    await button.trigger('click')

    expect(fetchResult).toHaveBeenCalledTimes(1)
  })
})
