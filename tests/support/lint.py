"""httplint (REDbot's message linter) run on a real answer from the stack.

It reads the response as a cache or a browser would, with the request that produced it (method,
conditional headers), and reports notes at four levels; a test asserts there are no warnings
and nothing bad.
"""

import time

from httplint import HttpRequestLinter, HttpResponseLinter, levels

PROBLEMS = (levels.WARN, levels.BAD)


def lint(response, *, method="GET", path="/", request_headers=()):
    """All of httplint's notes on one response, as (level, subject, summary) triples. The
    exchange is taken to have happened just now, which also lets httplint check the Date
    header and the freshness a cache would compute."""
    now = time.time()
    req = HttpRequestLinter(start_time=now)
    req.process_request_topline(method.encode(), path.encode(), b"HTTP/1.1")
    req.process_headers(
        [(n.encode(), v.encode()) for n, v in dict(request_headers).items()] + [(b"User-Agent", b"stack-tests")]
    )
    req.finish_content(True)

    res = HttpResponseLinter(start_time=now, _related=req)
    res.is_head_response = method == "HEAD"
    res.process_response_topline(b"HTTP/1.1", str(response.status).encode(), None)
    res.process_headers([(n.encode("latin-1"), v.encode("latin-1")) for n, v in response.headers.items()])
    res.feed_content(response.body)
    res.finish_content(True)
    return [(note.level, note.subject, str(note.summary)) for note in _walk(res.notes)]


def problems(response, **kwargs):
    """The notes a strict linter would show as a warning or an error."""
    return [
        (level.value, subject, summary) for level, subject, summary in lint(response, **kwargs) if level in PROBLEMS
    ]


def _walk(notes):
    for note in notes:
        yield note
        yield from _walk(note.subnotes)
