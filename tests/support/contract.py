"""schemathesis against a live stack: the API tested against the description it serves.

Its CLI, run as a user would, with its default checks (all of them in schemathesis 4: no 5xx,
statuses, content types, headers and bodies as described, undescribed methods refused, bad input
refused) on every operation, bounded so that a run costs seconds.
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
# Examples per operation and phase; the seed makes a failure reproducible with the same command.
MAX_EXAMPLES = 100
SEED = 22


def run(description_url, timeout=120):
    """(exit code, output, summary line) of `schemathesis run` on the description at that URL;
    the API root is the description's own `servers` URL, as a client generated from it uses."""
    args = [
        str(SCHEMATHESIS),
        "run",
        description_url,
        f"--max-examples={MAX_EXAMPLES}",
        f"--seed={SEED}",
        "--workers=2",
        "--request-timeout=10",
        "--max-redirects=0",
        "--no-color",
    ]
    # It keeps a cache (.schemathesis/) in its working folder: a throwaway one, not the checkout.
    with tempfile.TemporaryDirectory(prefix="schemathesis-") as folder:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=folder)
    output = done.stdout + done.stderr
    return done.returncode, output, summary(output)


def summary(output):
    """The closing line schemathesis prints, without its rule, and its count of test cases:
    "No issues found in 0.33s (42 generated, 42 passed)"."""
    lines = [re.sub(r"^[=\s]+|[=\s]+$", "", line) for line in output.splitlines()]
    closing = next((line for line in reversed(lines) if line), "(schemathesis printed nothing)")
    cases = next((lines[i + 1] for i, line in enumerate(lines[:-1]) if line == "Test cases:"), "")
    return f"{closing} ({cases})" if cases else closing
