import { vi } from 'vitest'

/** A stand-in for a fetch Response: url and redirected can't be set on a real one. */
export function fakeResponse({
  status = 200,
  statusText = '',
  body = '',
  contentType = 'application/json',
  requestId = '',
  url = '',
  redirected = false,
} = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const headers = new Headers(contentType ? { 'content-type': contentType } : {})
  if (requestId) headers.set('x-request-id', requestId)
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText,
    url,
    redirected,
    headers,
    text: async () => text,
  }
}

export function stubFetch(impl) {
  const fn = vi.fn(impl)
  vi.stubGlobal('fetch', fn)
  return fn
}

export async function rejectionOf(promise) {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected the promise to reject')
}
