"""A bounded load loop for reliability tests: threads send requests until told to stop, or
until a count or time limit, and count what came back. Loopback only."""

import threading
import time
from collections import Counter

from .rawhttp import request


class Load:
    """Run `threads` loops of GET `path` against a port; `.stop()` returns the outcome counts.

    Each request uses a new connection, as separate browsers would; an outcome is the HTTP
    status, or the exception's class name when no answer came back at all.
    """

    def __init__(self, port, path="/api/result", threads=4, max_requests=5000, max_seconds=30):
        self.port, self.path = port, path
        self.max_requests, self.deadline = max_requests, time.monotonic() + max_seconds
        self.outcomes = Counter()
        self.bad_bodies = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(threads)]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _loop(self):
        while not self._stop.is_set() and time.monotonic() < self.deadline:
            with self._lock:
                if sum(self.outcomes.values()) >= self.max_requests:
                    return
            try:
                response = request(self.port, self.path, timeout=10)
                outcome = response.status
                body_ok = response.header("Content-Type") == "application/json" and response.json()
            except Exception as exc:  # every failure is counted, none is raised
                outcome, body_ok = type(exc).__name__, True
            with self._lock:
                self.outcomes[outcome] += 1
                self.bad_bodies += 0 if body_ok else 1

    def wait_for(self, count, timeout=10):
        """Block until at least `count` requests have completed."""
        deadline = time.monotonic() + timeout
        while sum(self.outcomes.values()) < count and time.monotonic() < deadline:
            time.sleep(0.01)

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(15)
        return self.outcomes

    @property
    def total(self):
        return sum(self.outcomes.values())

    def report(self, label):
        """The counts, printed so that they show in the test output (pytest -s or -rA)."""
        failed = self.total - self.outcomes.get(200, 0)
        print(f"{label}: {self.total} requests sent, {failed} not 200: {dict(self.outcomes)}")
