/**
 * Compare what the browser sees (its location) with what the API saw
 * (GET {prefix}/whoami) and say, in plain words, what does not match and
 * the likely cause. Pure: no DOM, no network.
 */
import type { Schemas } from './api.ts'

/** What GET {prefix}/whoami answered; a field may be missing when a proxy got in the way. */
export type WhoAmI = Partial<Schemas['WhoAmI']>

/** What window.location says. */
export interface BrowserLocation {
  /** Worked out from the other three when missing. */
  origin?: string
  protocol: string
  hostname: string
  port: string
}

export const CHECK_IDS = ['scheme', 'host', 'port', 'prefix', 'redirect', 'url_for'] as const

export type CheckId = (typeof CHECK_IDS)[number]

export interface Check {
  id: CheckId
  ok: boolean
  label: string
  message: string
}

export const CHECK_LABELS: Record<CheckId, string> = {
  scheme: 'Scheme',
  host: 'Host name',
  port: 'Port',
  prefix: 'Path prefix',
  redirect: 'Redirect',
  url_for: 'URLs the API builds',
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 }

const CAUSE_SCHEME =
  'the TLS proxy in front is not trusted or does not send X-Forwarded-Proto (see TRUSTED_PROXIES)'
const CAUSE_SCHEME_REVERSED =
  'a proxy in front says X-Forwarded-Proto: https for a request that came in over plain http'
const CAUSE_HOST =
  'the proxy in front does not pass the original Host header ' +
  '(nginx must send proxy_set_header Host, or X-Forwarded-Host from a trusted proxy)'
const CAUSE_PORT =
  'the proxy in front does not forward the public port ' +
  "(nginx must pass the Host header's port in X-Forwarded-Host/X-Forwarded-Port)"

/** 'https:' or 'HTTPS' -> 'https' */
export function schemeOf(protocol: string | null | undefined): string {
  return String(protocol ?? '')
    .trim()
    .replace(/:$/, '')
    .toLowerCase()
}

/** Host name for comparing: no IPv6 brackets, lower case, no trailing dot. */
export function normalizeHostname(hostname: string | null | undefined): string {
  let h = String(hostname ?? '').trim()
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1)
  return h.toLowerCase().replace(/\.$/, '')
}

/**
 * Split a Host header value into name and port.
 * 'localhost:8000' -> {hostname: 'localhost', port: 8000}
 * '[::1]:8000'     -> {hostname: '::1', port: 8000}
 * 'example.com'    -> {hostname: 'example.com', port: null}
 */
export function splitHost(host: string | null | undefined): {
  hostname: string
  port: number | null
} {
  const s = String(host ?? '').trim()
  if (s.startsWith('[')) {
    const end = s.indexOf(']')
    if (end === -1) return { hostname: normalizeHostname(s), port: null }
    const rest = s.slice(end + 1)
    const port = /^:\d+$/.test(rest) ? Number(rest.slice(1)) : null
    return { hostname: normalizeHostname(s.slice(1, end)), port }
  }
  const colons = s.split(':').length - 1
  if (colons === 1) {
    const [name, port] = s.split(':')
    return {
      hostname: normalizeHostname(name),
      port: port !== undefined && /^\d+$/.test(port) ? Number(port) : null,
    }
  }
  // No port, or a bare IPv6 address without brackets.
  return { hostname: normalizeHostname(s), port: null }
}

/** The port the browser really talks to: location.port, or the scheme's default. */
export function effectivePort(
  protocol: string,
  port: string | number | null | undefined,
): number | null {
  if (port !== undefined && port !== null && String(port) !== '') return Number(port)
  return DEFAULT_PORTS[schemeOf(protocol)] ?? null
}

function parseUrl(value: unknown): URL | null {
  try {
    return new URL(String(value))
  } catch {
    return null
  }
}

/** Same URL once parsed (host case, default ports and IPv6 spelling don't matter). */
export function sameUrl(a: string, b: string): boolean {
  const ua = parseUrl(a)
  const ub = parseUrl(b)
  if (!ua || !ub) return String(a) === String(b)
  return ua.href === ub.href
}

function displayHost(hostname: string): string {
  return hostname.includes(':') ? `[${hostname}]` : hostname
}

function stripTrailingSlashes(path: string | null | undefined): string {
  return String(path ?? '').replace(/\/+$/, '')
}

function prefixCause(actualPath: string, expectedPath: string, expectedPrefix: string): string {
  return (
    `the path is ${actualPath} instead of ${expectedPath}: ` +
    `the API does not know it is mounted under ${expectedPrefix} ` +
    '(the proxy strips the prefix without sending X-Forwarded-Prefix, or API_PREFIX differs)'
  )
}

/** Why `actual` is not `expected`, part by part, in plain words. */
export function explainUrlDifference(
  actual: string,
  expected: string,
  expectedPrefix: string,
): string {
  const a = parseUrl(actual)
  const e = parseUrl(expected)
  if (!a) return `${JSON.stringify(String(actual))} is not an absolute URL`
  if (!e) return 'the expected URL could not be worked out'
  const causes = []
  const as = schemeOf(a.protocol)
  const es = schemeOf(e.protocol)
  if (as !== es) {
    causes.push(
      `the scheme is ${as} instead of ${es}: ` +
        (as === 'http' && es === 'https' ? CAUSE_SCHEME : CAUSE_SCHEME_REVERSED),
    )
  }
  if (normalizeHostname(a.hostname) !== normalizeHostname(e.hostname)) {
    causes.push(`the host is ${a.hostname} instead of ${e.hostname}: ${CAUSE_HOST}`)
  }
  const ap = effectivePort(a.protocol, a.port)
  const ep = effectivePort(e.protocol, e.port)
  if (ap !== ep) {
    causes.push(`the port is ${ap} instead of ${ep}: ${CAUSE_PORT}`)
  }
  if (a.pathname !== e.pathname) {
    causes.push(prefixCause(a.pathname, e.pathname, expectedPrefix))
  }
  if (causes.length === 0 && (a.search !== e.search || a.hash !== e.hash)) {
    causes.push('only the query string or fragment differs')
  }
  return causes.join('; ')
}

function check(id: CheckId, ok: boolean, message: string): Check {
  return { id, ok, label: CHECK_LABELS[id], message }
}

function checkScheme(browserScheme: string, whoami: WhoAmI): Check {
  const apiScheme = schemeOf(whoami.scheme)
  if (!apiScheme) return check('scheme', false, 'The API did not say which scheme it saw.')
  if (apiScheme === browserScheme) {
    return check('scheme', true, `Both see ${browserScheme}.`)
  }
  const cause =
    apiScheme === 'http' && browserScheme === 'https' ? CAUSE_SCHEME : CAUSE_SCHEME_REVERSED
  return check(
    'scheme',
    false,
    `The API thinks the scheme is ${apiScheme}, but this page was loaded over ${browserScheme}: ${cause}.`,
  )
}

function checkHost(browserHostname: string, whoami: WhoAmI): Check {
  if (!whoami.host) return check('host', false, 'The API did not say which host it saw.')
  const api = splitHost(whoami.host)
  if (api.hostname === browserHostname) {
    return check('host', true, `Both see ${displayHost(browserHostname)}.`)
  }
  return check(
    'host',
    false,
    `The API thinks the host is ${whoami.host}, but you reached it at ${displayHost(browserHostname)}: ${CAUSE_HOST}.`,
  )
}

function checkPort(browserPort: number | null, whoami: WhoAmI): Check {
  // A proxy in the way may answer something else than the description's integer.
  const raw: unknown = whoami.port
  const apiPort = raw === undefined || raw === null || raw === '' ? null : Number(raw)
  if (apiPort === null || Number.isNaN(apiPort)) {
    return check('port', false, 'The API did not say which port it saw.')
  }
  if (apiPort === browserPort) return check('port', true, `Both see port ${browserPort}.`)
  return check(
    'port',
    false,
    `The API builds URLs with port ${apiPort}, but you reached it on port ${browserPort}: ${CAUSE_PORT}.`,
  )
}

function checkPrefix(expectedPrefix: string, whoami: WhoAmI): Check {
  if (whoami.script_root === undefined || whoami.script_root === null) {
    return check('prefix', false, 'The API did not say which path it is mounted at.')
  }
  const apiRoot = stripTrailingSlashes(whoami.script_root)
  const expected = stripTrailingSlashes(expectedPrefix)
  if (apiRoot === expected) {
    return check('prefix', true, `The API is mounted at ${expected || '/'}, as this page expects.`)
  }
  if (apiRoot === '') {
    return check(
      'prefix',
      false,
      `The API thinks it is mounted at the root (/), but the SPA was built for ${expected}: ` +
        'the proxy strips the prefix without sending X-Forwarded-Prefix, ' +
        'or API_PREFIX is not set the same for both.',
    )
  }
  return check(
    'prefix',
    false,
    `The API is mounted at ${apiRoot}, but the SPA was built for ${expected || '/'}: ` +
      'set API_PREFIX the same for both.',
  )
}

function checkRedirect({
  landedUrl,
  redirectError,
  expectedUrl,
  startUrl,
  expectedPrefix,
  builtUrl,
}: {
  landedUrl: string | null
  redirectError?: string
  expectedUrl: string
  startUrl: string
  expectedPrefix: string
  builtUrl?: string
}): Check {
  const start = `${expectedPrefix}/`
  if (!landedUrl) {
    const target = parseUrl(builtUrl)
    const here = parseUrl(expectedUrl)
    if (target && here && target.origin !== here.origin) {
      return check(
        'redirect',
        false,
        `The browser could not follow the redirect from ${start}: the API most likely sent it to ` +
          `${builtUrl}, which is another origin than this page (${here.origin}), and the browser ` +
          'blocks that. Fix the URLs the API builds and the redirect follows.',
      )
    }
    const why = redirectError ? `: ${String(redirectError)}` : '.'
    return check('redirect', false, `The browser could not follow the redirect from ${start}${why}`)
  }
  if (sameUrl(landedUrl, expectedUrl)) {
    return check('redirect', true, `${start} redirected the browser to ${expectedUrl}.`)
  }
  if (sameUrl(landedUrl, startUrl)) {
    return check(
      'redirect',
      false,
      `The browser was not redirected: it stayed on ${landedUrl}. ` +
        `The API should answer ${start} with a redirect to ${expectedUrl}.`,
    )
  }
  return check(
    'redirect',
    false,
    `The redirect from ${start} landed on ${landedUrl} instead of ${expectedUrl}: ` +
      `${explainUrlDifference(landedUrl, expectedUrl, expectedPrefix)}.`,
  )
}

function checkUrlFor(expectedUrl: string, expectedPrefix: string, whoami: WhoAmI): Check {
  const built = whoami.result_url
  if (!built) return check('url_for', false, 'The API did not say which URL it builds.')
  if (sameUrl(built, expectedUrl)) {
    return check('url_for', true, `The API builds ${expectedUrl}, the URL you would use.`)
  }
  return check(
    'url_for',
    false,
    `The API builds ${built} for its result page, but from this browser it is ${expectedUrl}: ` +
      `${explainUrlDifference(built, expectedUrl, expectedPrefix)}.`,
  )
}

export interface DiagnoseInput {
  /** What window.location says. */
  browser: BrowserLocation
  /** The prefix this SPA was built for. */
  expectedPrefix: string
  /** Where the browser ended up after GET {prefix}/ (null when the request failed). */
  landedUrl: string | null
  /** Why GET {prefix}/ failed, when it did. */
  redirectError?: string
  /** The JSON body of GET {prefix}/whoami. */
  whoami: WhoAmI | null
}

/** One check per part of the URL, in CHECK_IDS order. */
export function diagnose({
  browser,
  expectedPrefix,
  landedUrl,
  redirectError,
  whoami,
}: DiagnoseInput): Check[] {
  const who: WhoAmI = whoami || {}
  const browserScheme = schemeOf(browser.protocol)
  const browserHostname = normalizeHostname(browser.hostname)
  const browserPort = effectivePort(browser.protocol, browser.port)
  const origin =
    browser.origin ||
    `${browserScheme}://${displayHost(browserHostname)}${browser.port ? `:${browser.port}` : ''}`
  const prefix = stripTrailingSlashes(expectedPrefix)
  const expectedUrl = `${origin}${prefix}/result`
  const startUrl = `${origin}${prefix}/`

  return [
    checkScheme(browserScheme, who),
    checkHost(browserHostname, who),
    checkPort(browserPort, who),
    checkPrefix(prefix, who),
    checkRedirect({
      landedUrl,
      redirectError,
      expectedUrl,
      startUrl,
      expectedPrefix: prefix,
      builtUrl: who.result_url,
    }),
    checkUrlFor(expectedUrl, prefix, who),
  ]
}

/** The checks that failed. */
export function failingChecks(checks: Check[]): Check[] {
  return checks.filter((c) => !c.ok)
}
