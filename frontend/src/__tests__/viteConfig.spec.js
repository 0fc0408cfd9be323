// @vitest-environment node
import { describe, expect, it } from 'vitest'

import { resolveApiPrefix, resolveDevPort } from '../../vite.config.js'

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
