import { describe, expect, it } from 'vitest'

import {
  CHECK_IDS,
  type BrowserLocation,
  type CheckId,
  type DiagnoseInput,
  diagnose,
  effectivePort,
  failingChecks,
  normalizeHostname,
  sameUrl,
  splitHost,
} from '../diagnose.ts'
import { whoamiFor } from './fixtures.ts'

/** window.location-like object for a URL. */
function browserAt(url: string): BrowserLocation {
  const u = new URL(url)
  return { origin: u.origin, protocol: u.protocol, hostname: u.hostname, port: u.port }
}

const LOCAL = 'http://localhost:8000'

interface Case {
  name: string
  input: DiagnoseInput
  failing: CheckId[]
  expect?: Partial<Record<CheckId, string[]>>
}

const cases: Case[] = [
  {
    name: 'a correct deployment on http://localhost:8000',
    input: {
      browser: browserAt(LOCAL),
      expectedPrefix: '/api',
      landedUrl: `${LOCAL}/api/result`,
      whoami: whoamiFor(LOCAL),
    },
    failing: [],
  },
  {
    name: 'a correct deployment over https on the default port',
    input: {
      browser: browserAt('https://example.com/'),
      expectedPrefix: '/api',
      landedUrl: 'https://example.com/api/result',
      whoami: whoamiFor('https://example.com'),
    },
    failing: [],
  },
  {
    name: 'a correct deployment on IPv6 [::1]:8000',
    input: {
      browser: browserAt('http://[::1]:8000/'),
      expectedPrefix: '/api',
      landedUrl: 'http://[::1]:8000/api/result',
      whoami: whoamiFor('http://[::1]:8000'),
    },
    failing: [],
  },
  {
    name: 'a correct deployment under a custom prefix',
    input: {
      browser: browserAt(LOCAL),
      expectedPrefix: '/backend/v1',
      landedUrl: `${LOCAL}/backend/v1/result`,
      whoami: whoamiFor(LOCAL, '/backend/v1'),
    },
    failing: [],
  },
  {
    name: 'host names differing only in case and a trailing dot',
    input: {
      browser: browserAt('http://example.com:8080/'),
      expectedPrefix: '/api',
      landedUrl: 'http://example.com:8080/api/result',
      whoami: whoamiFor('http://example.com:8080', '/api', {
        host: 'Example.COM.:8080',
        result_url: 'http://EXAMPLE.com:8080/api/result',
      }),
    },
    failing: [],
  },
  {
    name: 'TLS ended by an untrusted proxy: the API sees http',
    input: {
      browser: browserAt('https://example.com/'),
      expectedPrefix: '/api',
      landedUrl: null,
      redirectError: 'Failed to fetch',
      whoami: whoamiFor('https://example.com', '/api', {
        scheme: 'http',
        result_url: 'http://example.com/api/result',
        port: 443,
      }),
    },
    failing: ['scheme', 'redirect', 'url_for'],
    expect: {
      scheme: [
        'The API thinks the scheme is http, but this page was loaded over https',
        'X-Forwarded-Proto',
        'TRUSTED_PROXIES',
      ],
      redirect: ['http://example.com/api/result', 'another origin'],
      url_for: ['the scheme is http instead of https'],
    },
  },
  {
    name: 'the public port is lost: the API builds URLs with port 80',
    input: {
      browser: browserAt(LOCAL),
      expectedPrefix: '/api',
      landedUrl: null,
      redirectError: 'The request to GET /api/ failed before any answer came back',
      whoami: whoamiFor(LOCAL, '/api', {
        host: 'localhost',
        port: 80,
        result_url: 'http://localhost/api/result',
      }),
    },
    failing: ['port', 'redirect', 'url_for'],
    expect: {
      port: [
        'The API builds URLs with port 80, but you reached it on port 8000',
        'X-Forwarded-Host/X-Forwarded-Port',
      ],
      url_for: ['the port is 80 instead of 8000'],
    },
  },
  {
    name: 'the Host header is replaced by the upstream name',
    input: {
      browser: browserAt('http://example.com/'),
      expectedPrefix: '/api',
      landedUrl: null,
      whoami: whoamiFor('http://example.com', '/api', {
        host: 'backend:5000',
        port: 5000,
        result_url: 'http://backend:5000/api/result',
      }),
    },
    failing: ['host', 'port', 'redirect', 'url_for'],
    expect: {
      host: [
        'The API thinks the host is backend:5000, but you reached it at example.com',
        'Host header',
      ],
      port: ['port 5000', 'port 80'],
      url_for: ['the host is backend instead of example.com', 'the port is 5000 instead of 80'],
    },
  },
  {
    name: 'IPv6 page, API sees an IPv4 host',
    input: {
      browser: browserAt('http://[::1]:8000/'),
      expectedPrefix: '/api',
      landedUrl: 'http://[::1]:8000/api/result',
      whoami: whoamiFor('http://[::1]:8000', '/api', { host: '127.0.0.1:8000' }),
    },
    failing: ['host'],
    expect: { host: ['127.0.0.1:8000', 'you reached it at [::1]'] },
  },
  {
    name: 'the API is mounted at another prefix than the SPA was built for',
    input: {
      browser: browserAt(LOCAL),
      expectedPrefix: '/api',
      landedUrl: `${LOCAL}/x/result`,
      whoami: whoamiFor(LOCAL, '/x'),
    },
    failing: ['prefix', 'redirect', 'url_for'],
    expect: {
      prefix: ['mounted at /x, but the SPA was built for /api: set API_PREFIX the same for both'],
      redirect: [
        `landed on ${LOCAL}/x/result instead of ${LOCAL}/api/result`,
        'the path is /x/result',
      ],
      url_for: ['the path is /x/result instead of /api/result'],
    },
  },
  {
    name: 'the proxy strips the prefix without telling the API',
    input: {
      browser: browserAt(LOCAL),
      expectedPrefix: '/api',
      landedUrl: `${LOCAL}/result`,
      whoami: whoamiFor(LOCAL, '', { result_url: `${LOCAL}/result` }),
    },
    failing: ['prefix', 'redirect', 'url_for'],
    expect: {
      prefix: ['mounted at the root (/)', 'X-Forwarded-Prefix'],
      url_for: ['the path is /result instead of /api/result', 'X-Forwarded-Prefix'],
    },
  },
  {
    name: 'no redirect at all: the browser stayed on {prefix}/',
    input: {
      browser: browserAt(LOCAL),
      expectedPrefix: '/api',
      landedUrl: `${LOCAL}/api/`,
      whoami: whoamiFor(LOCAL),
    },
    failing: ['redirect'],
    expect: { redirect: ['The browser was not redirected', `stayed on ${LOCAL}/api/`] },
  },
  {
    name: 'the redirect lands on another path while url_for is right',
    input: {
      browser: browserAt(LOCAL),
      expectedPrefix: '/api',
      landedUrl: `${LOCAL}/somewhere/else`,
      whoami: whoamiFor(LOCAL),
    },
    failing: ['redirect'],
    expect: {
      redirect: [
        `The redirect from /api/ landed on ${LOCAL}/somewhere/else instead of ${LOCAL}/api/result`,
      ],
    },
  },
  {
    name: 'the redirect fails with an error while the URLs are right',
    input: {
      browser: browserAt(LOCAL),
      expectedPrefix: '/api',
      landedUrl: null,
      redirectError: 'The API answered 500 Internal Server Error: boom',
      whoami: whoamiFor(LOCAL),
    },
    failing: ['redirect'],
    expect: {
      redirect: [
        'The browser could not follow the redirect from /api/: The API answered 500 Internal Server Error: boom',
      ],
    },
  },
  {
    name: 'a proxy claims https for a plain-http request',
    input: {
      browser: browserAt('http://localhost/'),
      expectedPrefix: '/api',
      landedUrl: null,
      whoami: whoamiFor('http://localhost', '/api', {
        scheme: 'https',
        result_url: 'https://localhost/api/result',
      }),
    },
    failing: ['scheme', 'redirect', 'url_for'],
    expect: {
      scheme: ['The API thinks the scheme is https, but this page was loaded over http'],
      url_for: ['the scheme is https instead of http'],
    },
  },
  {
    name: 'whoami without the fields it should have',
    input: {
      browser: browserAt(LOCAL),
      expectedPrefix: '/api',
      landedUrl: `${LOCAL}/api/result`,
      whoami: {},
    },
    failing: ['scheme', 'host', 'port', 'prefix', 'url_for'],
    expect: { port: ['did not say which port'] },
  },
]

describe('diagnose', () => {
  it.each(cases)('$name', ({ input, failing, expect: expected = {} }) => {
    const checks = diagnose(input)

    expect(checks.map((c) => c.id)).toEqual(CHECK_IDS)
    for (const c of checks) {
      expect(typeof c.ok).toBe('boolean')
      expect(c.label).toBeTruthy()
      expect(c.message).toBeTruthy()
    }
    expect(failingChecks(checks).map((c) => c.id)).toEqual(failing)

    for (const [id, fragments] of Object.entries(expected)) {
      const message = checks.find((c) => c.id === id)?.message
      for (const fragment of fragments) expect(message).toContain(fragment)
    }
  })

  it('says in the ok messages what both sides see', () => {
    const checks = diagnose({
      browser: browserAt(LOCAL),
      expectedPrefix: '/api',
      landedUrl: `${LOCAL}/api/result`,
      whoami: whoamiFor(LOCAL),
    })
    const byId = Object.fromEntries(checks.map((c) => [c.id, c.message]))
    expect(byId.scheme).toBe('Both see http.')
    expect(byId.host).toBe('Both see localhost.')
    expect(byId.port).toBe('Both see port 8000.')
    expect(byId.prefix).toBe('The API is mounted at /api, as this page expects.')
  })

  it('works out the origin when the browser object has none', () => {
    const checks = diagnose({
      browser: { protocol: 'http:', hostname: 'localhost', port: '8000' },
      expectedPrefix: '/api',
      landedUrl: `${LOCAL}/api/result`,
      whoami: whoamiFor(LOCAL),
    })
    expect(failingChecks(checks)).toEqual([])
  })
})

describe('helpers', () => {
  it.each([
    ['localhost:8000', { hostname: 'localhost', port: 8000 }],
    ['example.com', { hostname: 'example.com', port: null }],
    ['[::1]:8000', { hostname: '::1', port: 8000 }],
    ['[::1]', { hostname: '::1', port: null }],
    ['::1', { hostname: '::1', port: null }],
    ['EXAMPLE.com:443', { hostname: 'example.com', port: 443 }],
  ])('splitHost(%j)', (host, expected) => {
    expect(splitHost(host)).toEqual(expected)
  })

  it('normalizes host names', () => {
    expect(normalizeHostname('[::1]')).toBe('::1')
    expect(normalizeHostname('Example.COM.')).toBe('example.com')
  })

  it('knows the default ports', () => {
    expect(effectivePort('http:', '')).toBe(80)
    expect(effectivePort('https:', '')).toBe(443)
    expect(effectivePort('https:', '8443')).toBe(8443)
  })

  it('compares URLs once parsed', () => {
    expect(sameUrl('http://LOCALHOST:80/api/result', 'http://localhost/api/result')).toBe(true)
    expect(sameUrl('http://localhost:8000/api/result', 'http://localhost/api/result')).toBe(false)
    expect(sameUrl('not a url', 'not a url')).toBe(true)
  })
})
