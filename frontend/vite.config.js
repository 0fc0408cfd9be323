import { fileURLToPath, URL } from 'node:url'

import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

export const DEFAULT_API_PREFIX = '/api'
export const DEFAULT_DEV_PORT = 5173

/**
 * Check the path the API is mounted under and return it.
 *
 * The same value has to be given to the API and to this build, so a typo
 * here is worth failing loudly for: the SPA would otherwise call a path
 * nobody answers on. An unset or empty value means the default.
 */
export function resolveApiPrefix(raw) {
  if (raw === undefined || raw === null || raw === '') return DEFAULT_API_PREFIX
  const value = String(raw)
  const problems = []
  if (!value.startsWith('/')) problems.push('it must start with "/"')
  if (value.endsWith('/')) problems.push('it must not end with "/"')
  if (!/^[A-Za-z0-9._~/-]*$/.test(value)) {
    problems.push('it may only contain letters, digits and . _ ~ / -')
  }
  if (value.includes('//')) problems.push('it must not contain "//"')
  if (problems.length > 0) {
    throw new Error(
      `API_PREFIX=${JSON.stringify(value)} is not a valid path prefix: ` +
        `${problems.join('; ')} (example: "/api").`,
    )
  }
  return value
}

/** Port for `vite` (dev server), from VITE_PORT. */
export function resolveDevPort(raw) {
  if (raw === undefined || raw === null || raw === '') return DEFAULT_DEV_PORT
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`VITE_PORT=${JSON.stringify(String(raw))} is not a valid TCP port (1-65535).`)
  }
  return port
}

export default defineConfig(() => {
  const apiPrefix = resolveApiPrefix(process.env.API_PREFIX)
  const devPort = resolveDevPort(process.env.VITE_PORT)

  return {
    plugins: [vue()],
    resolve: {
      alias: {
        '@': fileURLToPath(new URL('./src', import.meta.url)),
      },
    },
    define: {
      // The one place the prefix enters the code; src/api.js reads it.
      __API_PREFIX__: JSON.stringify(apiPrefix),
      // Everything here uses the Composition API: drop the Options API code.
      __VUE_OPTIONS_API__: 'false',
      __VUE_PROD_DEVTOOLS__: 'false',
      __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    },
    server: {
      port: devPort,
      strictPort: true,
    },
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      // Only evergreen browsers are targeted: no module-preload polyfill.
      modulePreload: { polyfill: false },
      reportCompressedSize: true,
    },
    test: {
      environment: 'happy-dom',
      include: ['src/**/__tests__/*.spec.js'],
      environmentOptions: {
        happyDOM: { url: 'http://localhost:8000/' },
      },
      restoreMocks: true,
      unstubGlobals: true,
    },
  }
})
