import { createRouter, createWebHistory } from 'vue-router'

import HomeView from '../views/HomeView.vue'

export const routes = [
  {
    path: '/',
    name: 'home',
    component: HomeView,
    meta: { title: 'URL check' },
  },
  {
    path: '/about',
    name: 'about',
    // Loaded on first visit: keeps the first page small.
    component: () => import('../views/AboutView.vue'),
    meta: { title: 'About' },
  },
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
    return savedPosition || { top: 0 }
  },
})

router.afterEach((to) => {
  const title = to.meta.title
  document.title = title && title !== 'URL check' ? `${title} · URL check` : 'URL check'
})

export default router
