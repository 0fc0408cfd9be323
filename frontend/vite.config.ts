/// <reference types="vitest/config" />
import { fileURLToPath, URL } from 'node:url'

import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'

import { SITE_DESCRIPTION, SITE_TITLE } from './src/site.ts'

export const DEFAULT_API_PREFIX = '/api'
export const DEFAULT_DEV_PORT = 5173
export const DEFAULT_HTTP_PORT = 8000

/**
 * Check the path the API is mounted under and return it.
 *
 * The same value has to be given to the API and to this build, so a typo
 * here is worth failing loudly for: the SPA would otherwise call a path
 * nobody answers on. An unset or empty value means the default.
 */
export function resolveApiPrefix(raw?: string | null): string {
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
export function resolveDevPort(raw?: string | null): number {
  if (raw === undefined || raw === null || raw === '') return DEFAULT_DEV_PORT
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`VITE_PORT=${JSON.stringify(String(raw))} is not a valid TCP port (1-65535).`)
  }
  return port
}

/**
 * Hosts the dev server answers for besides localhost and IP addresses (Vite's
 * own defaults), from ALLOWED_HOSTS: the names nginx lets through reach Vite
 * with their Host header, so both must accept the same ones. A leading dot
 * means the name and its subdomains in both. Empty: Vite's defaults only.
 */
export function resolveAllowedHosts(raw?: string | null): string[] {
  return String(raw ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
}

/**
 * The dev server's proxy for the API: requests under the prefix go to nginx,
 * which sends them on to gunicorn exactly as in production (same headers,
 * same redirects). changeOrigin stays false so that nginx sees the Host the
 * browser sent, port included, and the API builds URLs for Vite's port.
 *
 * target: DEV_API_TARGET (e.g. http://nginx:80 in Docker), else nginx on
 * this machine at HTTP_PORT (default DEFAULT_HTTP_PORT).
 */
export function apiProxy(apiPrefix: string, target?: string, httpPort?: string) {
  const origin = target || `http://127.0.0.1:${httpPort || DEFAULT_HTTP_PORT}`
  let url: URL | null
  try {
    url = new URL(origin)
  } catch {
    url = null
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search) {
    const source = target
      ? `DEV_API_TARGET=${JSON.stringify(target)}`
      : `HTTP_PORT=${JSON.stringify(httpPort)}`
    throw new Error(
      `${source} does not give an http(s) origin for the API proxy (example: "http://127.0.0.1:8000").`,
    )
  }
  // The prefix itself and everything below it; not /apiary.
  const pattern = `^${apiPrefix.replace(/\./g, '\\.')}(?:[/?]|$)`
  return { [pattern]: { target: origin, changeOrigin: false } }
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** index.html's %SITE_TITLE% and %SITE_DESCRIPTION%, from src/site.ts (HTML-escaped). */
export function siteHtml(): Plugin {
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c)
  return {
    name: 'site-html',
    transformIndexHtml: (html: string) =>
      html
        .replaceAll('%SITE_TITLE%', escape(SITE_TITLE))
        .replaceAll('%SITE_DESCRIPTION%', escape(SITE_DESCRIPTION)),
  }
}

export default defineConfig(() => {
  const apiPrefix = resolveApiPrefix(process.env.API_PREFIX)
  const devPort = resolveDevPort(process.env.VITE_PORT)

  return {
    plugins: [vue(), siteHtml()],
    resolve: {
      alias: {
        '@': fileURLToPath(new URL('./src', import.meta.url)),
      },
    },
    define: {
      // The one place the prefix enters the code; src/api.ts reads it (typed in env.d.ts).
      __API_PREFIX__: JSON.stringify(apiPrefix),
      // Everything here uses the Composition API: drop the Options API code.
      __VUE_OPTIONS_API__: 'false',
      __VUE_PROD_DEVTOOLS__: 'false',
      __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    },
    server: {
      port: devPort,
      strictPort: true,
      allowedHosts: resolveAllowedHosts(process.env.ALLOWED_HOSTS),
      proxy: apiProxy(apiPrefix, process.env.DEV_API_TARGET, process.env.HTTP_PORT),
      // No HMR port is set: Vite's client connects back to the port its own script came
      // from, which is nginx's (HTTP_PORT) when the page is opened through nginx and Vite's
      // when opened directly, so both ways get HMR (and so does a TLS front in front of nginx).
    },
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      // Only evergreen browsers are targeted: no module-preload polyfill.
      modulePreload: { polyfill: false },
      reportCompressedSize: true,
      rolldownOptions: {
        output: {
          // Vue and vue-router in a chunk of their own (32 kB of 40 kB gzipped): a deploy that
          // changes only the app re-downloads the 8 kB app chunk; the first load costs +0.5 kB.
          codeSplitting: { groups: [{ name: 'vendor', test: /[\\/]node_modules[\\/]/ }] },
        },
      },
    },
    test: {
      environment: 'happy-dom',
      include: ['src/**/__tests__/*.spec.ts'],
      environmentOptions: {
        happyDOM: { url: 'http://localhost:8000/' },
      },
      restoreMocks: true,
      unstubGlobals: true,
    },
  }
})
