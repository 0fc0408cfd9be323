import {
  createRouter,
  createWebHistory,
  type RouteLocationNormalized,
  type RouteRecordRaw,
} from 'vue-router'

import { SITE_TITLE } from '../site.ts'
import HomeView from '../views/HomeView.vue'

declare module 'vue-router' {
  interface RouteMeta {
    /** Names the browser tab, before the app's name. */
    title?: string
    /** Gives the route a link in the header. */
    navLabel?: string
  }
}

// A route with meta.navLabel gets a link in the header, in this order; meta.title names the
// browser tab (before the app's name).
export const routes: RouteRecordRaw[] = [
  {
    path: '/',
    name: 'home',
    component: HomeView,
    meta: { navLabel: 'Home' },
  },
  {
    path: '/about',
    name: 'about',
    // Loaded on first visit: keeps the first page small.
    component: () => import('../views/AboutView.vue'),
    meta: { title: 'About', navLabel: 'About' },
  },
  {
    path: '/reference',
    name: 'reference',
    // The API's description, rendered here (no renderer bundled: the CSP stays strict).
    component: () => import('../views/ReferenceView.vue'),
    meta: { title: 'API reference' },
  },
  // New pages go here, above the catch-all (docs/make-it-yours.md).
  {
    path: '/:pathMatch(.*)*',
    name: 'not-found',
    component: () => import('../views/NotFoundView.vue'),
    meta: { title: 'Page not found' },
  },
]

const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes,
  scrollBehavior(to, from, savedPosition) {
    return savedPosition || (to.hash ? { el: to.hash } : { top: 0 })
  },
})

/** The browser tab's title for a route: 'About · <app>', or the app's name alone. */
export function titleFor(route: RouteLocationNormalized): string {
  const title = route.meta.title
  return title ? `${title} · ${SITE_TITLE}` : SITE_TITLE
}

router.afterEach((to) => {
  document.title = titleFor(to)
})

export default router
