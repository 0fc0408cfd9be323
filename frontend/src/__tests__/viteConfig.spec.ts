// @vitest-environment node
import { describe, expect, it } from 'vitest'

import {
  DEFAULT_HTTP_PORT,
  apiProxy,
  resolveAllowedHosts,
  resolveApiPrefix,
  resolveDevPort,
} from '../../vite.config.ts'

describe('resolveApiPrefix', () => {
  it.each([
    [undefined, '/api'],
    ['', '/api'],
    ['/api', '/api'],
    ['/x', '/x'],
    ['/v1/api', '/v1/api'],
    ['/my-api_2.0~x', '/my-api_2.0~x'],
  ])('accepts %j as %j', (raw, expected) => {
    expect(resolveApiPrefix(raw)).toBe(expected)
  })

  it.each([
    ['api', /must start with "\/"/],
    ['/api/', /must not end with "\/"/],
    ['/', /must not end with "\/"/],
    ['/a pi', /may only contain/],
    ['/api?x=1', /may only contain/],
    ['//api', /must not contain "\/\/"/],
  ])('rejects %j and names the value', (raw, reason) => {
    expect(() => resolveApiPrefix(raw)).toThrow(reason)
    expect(() => resolveApiPrefix(raw)).toThrow(`API_PREFIX=${JSON.stringify(raw)}`)
  })
})

describe('resolveDevPort', () => {
  it('defaults to 5173 and reads VITE_PORT', () => {
    expect(resolveDevPort(undefined)).toBe(5173)
    expect(resolveDevPort('3000')).toBe(3000)
  })

  it('rejects a value that is not a port', () => {
    expect(() => resolveDevPort('abc')).toThrow('VITE_PORT="abc"')
    expect(() => resolveDevPort('70000')).toThrow(/not a valid TCP port/)
  })
})

describe('resolveAllowedHosts', () => {
  it.each([
    [undefined, []],
    ['', []],
    ['example.com', ['example.com']],
    ['example.com, .example.org  dev.box', ['example.com', '.example.org', 'dev.box']],
  ])('reads ALLOWED_HOSTS %j as %j', (raw, expected) => {
    expect(resolveAllowedHosts(raw)).toEqual(expected)
  })
})

describe('apiProxy', () => {
  const matches = (proxy: ReturnType<typeof apiProxy>, url: string) =>
    new RegExp(Object.keys(proxy)[0]!).test(url)

  it("sends the API prefix to nginx on HTTP_PORT with the browser's Host", () => {
    const proxy = apiProxy('/api', undefined, '8080')
    expect(Object.values(proxy)).toEqual([{ target: 'http://127.0.0.1:8080', changeOrigin: false }])
    expect(Object.values(apiProxy('/api', '', undefined))[0]?.target).toBe(
      `http://127.0.0.1:${DEFAULT_HTTP_PORT}`,
    )
  })

  it('takes DEV_API_TARGET over HTTP_PORT', () => {
    expect(Object.values(apiProxy('/api', 'http://nginx:80', '8000'))[0]?.target).toBe(
      'http://nginx:80',
    )
  })

  it.each([
    ['/api', true],
    ['/api/', true],
    ['/api/result?x=1', true],
    ['/api?x=1', true],
    ['/apiary', false],
    ['/', false],
    ['/src/api.ts', false],
  ])('matches %s: %s', (url, expected) => {
    expect(matches(apiProxy('/api', undefined, '8000'), url)).toBe(expected)
  })

  it('matches a prefix with a dot literally', () => {
    const proxy = apiProxy('/v1.0/api', undefined, '8000')
    expect(matches(proxy, '/v1.0/api/result')).toBe(true)
    expect(matches(proxy, '/v1x0/api/result')).toBe(false)
  })

  it.each([['nginx:80'], ['http://nginx:80/api'], ['ftp://nginx']])(
    'rejects DEV_API_TARGET=%j',
    (raw) => {
      expect(() => apiProxy('/api', raw, '8000')).toThrow(`DEV_API_TARGET=${JSON.stringify(raw)}`)
    },
  )
})
