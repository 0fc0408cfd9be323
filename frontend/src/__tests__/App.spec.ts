import { flushPromises, mount } from '@vue/test-utils'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'

import App from '../App.vue'
import { routes, titleFor } from '../router/index.ts'
import { SITE_TITLE } from '../site.ts'
import { API_PREFIX, client } from '../api.ts'

async function mountAt(path: string) {
  const router = createRouter({ history: createMemoryHistory(), routes })
  router.push(path)
  await router.isReady()
  const wrapper = mount(App, { global: { plugins: [router] } })
  await flushPromises()
  return { wrapper, router }
}

beforeEach(() => {
  // A view may ask the API on mount; keep it waiting here.
  vi.spyOn(client, 'GET').mockReturnValue(new Promise(() => {}))
})

describe('App shell and routes', () => {
  it('has header, nav and main landmarks, and the app name in the header', async () => {
    const { wrapper } = await mountAt('/')

    expect(wrapper.find('header').exists()).toBe(true)
    expect(wrapper.find('main#main').exists()).toBe(true)
    expect(wrapper.get('.brand').text()).toBe(SITE_TITLE)
    expect(wrapper.get('nav').attributes('aria-label')).toBe('Main')
    expect(wrapper.find('[data-testid="home-view"]').exists()).toBe(true)
  })

  it('links every route that has a navLabel, in the routes order, and no other', async () => {
    const { wrapper } = await mountAt('/')

    const labelled = routes.filter((r) => r.meta?.navLabel)
    expect(labelled.length).toBeGreaterThan(0)
    const links = wrapper.get('nav').findAll('a')
    expect(links.map((a) => [a.text(), a.attributes('href')])).toEqual(
      labelled.map((r) => [r.meta?.navLabel, r.path]),
    )
  })

  it('names the tab after the route, then the app', async () => {
    const { router } = await mountAt('/')
    expect(titleFor(router.currentRoute.value)).toBe(SITE_TITLE)
    await router.push('/about')
    expect(titleFor(router.currentRoute.value)).toBe(`About · ${SITE_TITLE}`)
  })

  it('goes to About through the nav link', async () => {
    const { wrapper, router } = await mountAt('/')

    await wrapper.get('nav a[href="/about"]').trigger('click')
    await flushPromises()
    await vi.dynamicImportSettled()
    await flushPromises()

    expect(router.currentRoute.value.name).toBe('about')
    const about = wrapper.get('[data-testid="about-view"]')
    expect(about.text()).toContain('About this template')
    expect(about.text()).toContain(API_PREFIX)
  })

  it('shows "Page not found" with the path for an unknown URL', async () => {
    const { wrapper } = await mountAt('/no/such/page?x=1')

    const view = wrapper.get('[data-testid="notfound-view"]')
    expect(view.get('h1').text()).toBe('Page not found')
    expect(wrapper.get('[data-testid="notfound-path"]').text()).toBe('/no/such/page?x=1')
    expect(view.get('a').attributes('href')).toBe('/')
    expect(view.text()).not.toContain('belong to the API')
  })

  it('says when an API path ended up at the SPA', async () => {
    const { wrapper } = await mountAt(`${API_PREFIX}/nothing-here`)

    expect(wrapper.get('[data-testid="notfound-view"]').text()).toContain(
      `Paths under ${API_PREFIX}/ belong to the API`,
    )
  })

  it('loads About and Not found lazily, Home eagerly', () => {
    const byName = Object.fromEntries(routes.map((r) => [r.name, r.component]))
    expect(typeof byName.home).toBe('object')
    expect(typeof byName.about).toBe('function')
    expect(typeof byName['not-found']).toBe('function')
  })
})
