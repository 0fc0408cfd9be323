"""The Python locks agree with the pins they are made from (`make lock` after editing a .in file),
and every locked package carries hashes, as `pip install --require-hashes` needs. The locks are
the ones `make audit` checks: the product's, and the benchmark's where bench/ is."""

import re

import pytest

from stack.audit import python_locks
from stack.env import ROOT

LOCKS = {lock.removesuffix(".txt") + ".in": lock for lock in python_locks()}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)


def normal(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path):
    """{package: version} of the `name==version` lines of a requirements file and the .in files it -r includes."""
    text = (ROOT / path).read_text()
    found = {normal(name): version for name, version in PIN.findall(text)}
    for included in re.findall(r"^-r\s+(\S+)", text, re.M):
        found.update(pins(included))
    return found


@pytest.mark.parametrize("source, lock", LOCKS.items(), ids=list(LOCKS.values()))
def test_lock_has_every_pin_of_its_source(source, lock):
    wanted, locked = pins(source), pins(lock)
    differ = {name: (version, locked.get(name)) for name, version in wanted.items() if locked.get(name) != version}
    assert differ == {}, f"{lock} is out of date with {source} (pin, lock): {differ}; run make lock"


@pytest.mark.parametrize("lock", LOCKS.values())
def test_every_locked_package_has_a_hash(lock):
    entries = re.split(r"^(?=[A-Za-z0-9])", (ROOT / lock).read_text(), flags=re.M)
    unhashed = [entry.split()[0] for entry in entries if PIN.match(entry) and "--hash=sha256:" not in entry]
    assert unhashed == []
