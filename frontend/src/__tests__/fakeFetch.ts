import { vi } from 'vitest'

export interface FakeAnswer {
  status?: number
  statusText?: string
  body?: unknown
  contentType?: string
  requestId?: string
  url?: string
  redirected?: boolean
}

/** A fetch Response with the url and redirected that only a real fetch can set. */
export function fakeResponse({
  status = 200,
  statusText = '',
  body = '',
  contentType = 'application/json',
  requestId = '',
  url = '',
  redirected = false,
}: FakeAnswer = {}): Response {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const headers = new Headers(contentType ? { 'content-type': contentType } : {})
  if (requestId) headers.set('x-request-id', requestId)
  const response = new Response(text, { status, statusText, headers })
  Object.defineProperty(response, 'url', { value: url })
  Object.defineProperty(response, 'redirected', { value: redirected })
  return response
}

export type FetchImpl = (request: Request, init?: RequestInit) => Promise<Response>

/** Replace fetch; the mock's calls are [request, init] as the client makes them. */
export function stubFetch(impl: FetchImpl) {
  const fn = vi.fn(impl)
  vi.stubGlobal('fetch', fn)
  return fn
}

export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (err) {
    return err as Error
  }
  throw new Error('expected the promise to reject')
}
