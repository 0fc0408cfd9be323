import { flushPromises, mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'

import ReferenceView from '../ReferenceView.vue'
import { API_PREFIX } from '../../api.ts'
import { DESCRIPTION } from '../../__tests__/fixtures.ts'
import { fakeResponse, stubFetch } from '../../__tests__/fakeFetch.ts'

describe('ReferenceView', () => {
  it('fetches {prefix}/openapi.json and shows its server and operations', async () => {
    const fetchMock = stubFetch(async () => fakeResponse({ body: DESCRIPTION }))

    const wrapper = mount(ReferenceView)
    await flushPromises()

    expect(new URL(fetchMock.mock.calls[0]![0].url).pathname).toBe(`${API_PREFIX}/openapi.json`)
    expect(wrapper.get('[data-testid="reference-server"]').text()).toBe(
      'https://app.example.com:8443/api',
    )
    const operations = wrapper.findAll('[data-testid="reference-operation"]')
    expect(operations.map((op) => op.attributes('data-operation-id'))).toEqual([
      'whoAmI',
      'post-/greeting/{name}',
    ])
    expect(operations[0]?.text()).toContain('GET')
    expect(operations[0]?.text()).toContain('/whoami')
    expect(operations[0]?.text()).toContain('application/json: WhoAmI')
    expect(wrapper.findAll('[data-testid="reference-schema"]')).toHaveLength(1)
  })

  it('says why when the description could not be fetched', async () => {
    stubFetch(async () =>
      fakeResponse({ status: 502, body: { error: 'Bad Gateway', message: 'Down.', status: 502 } }),
    )

    const wrapper = mount(ReferenceView)
    await flushPromises()

    expect(wrapper.get('[data-testid="reference-error"]').text()).toBe(
      `The API is down or restarting: GET ${API_PREFIX}/openapi.json answered 502 Bad Gateway.`,
    )
  })
})
