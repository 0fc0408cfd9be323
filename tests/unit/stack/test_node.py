"""Which Node the runner uses for npm: the machine's when engines allows it, else the pinned one."""

import re

import pytest

from stack import node
from stack.errors import StackError


@pytest.mark.parametrize(
    "version, allowed",
    [
        ("v24.11.0", True),
        ("v24.22.3", True),
        ("24.30.1", True),
        ("v24.10.9", False),
        ("v20.20.2", False),
        ("v18.19.0", False),
        ("v26.1.0", False),
        ("", False),
        ("not a version", False),
    ],
)
def test_engines_caret_range(version, allowed):
    assert node.allowed(version, (24, 11, 0)) is allowed


def test_engines_and_nvmrc_agree():
    spec, lower = node.engines_range()
    assert spec == f"^{lower[0]}.{lower[1]}.{lower[2]}"
    assert node.allowed(node.pinned_version(), lower)


def test_an_nvmrc_that_is_not_one_version_is_refused(monkeypatch, tmp_path):
    (tmp_path / ".nvmrc").write_text("lts/*\n")
    monkeypatch.setattr(node, "ROOT", tmp_path)
    with pytest.raises(StackError, match=r"^\.nvmrc holds 'lts/\*'"):
        node.pinned_version()


def test_the_sentence_names_the_node_in_use():
    bin_dir, what = node.select()
    version = what.split()[1]
    assert node.allowed(version, node.engines_range()[1])
    assert ("from .tools/node" in what) == (bin_dir is not None)


def test_without_a_machine_node_the_pinned_one_is_chosen(monkeypatch):
    real_which = node.shutil.which
    monkeypatch.setattr(
        node.shutil, "which", lambda name, *a, **k: None if name == "node" else real_which(name, *a, **k)
    )
    bin_dir, what = node.select(install=False)
    version = node.pinned_version()
    if bin_dir is None:  # not installed here yet: it says what make up will do
        assert what.startswith("no Node that fits engines") and f"installs Node {version}" in what
    else:
        assert bin_dir == node.BIN
        assert (
            what == f"Node v{version} from .tools/node (engines wants {node.engines_range()[0]}; the machine has none)"
        )


def test_the_images_build_with_the_pinned_node():
    """The Dockerfile's build stage and the dev overlay's Vite run the Node of .nvmrc."""
    named = {}
    for source in ("nginx/Dockerfile", "docker-compose.dev.yml"):
        named[source] = re.findall(r"\bnode:([0-9.]+)-", (node.ROOT / source).read_text())
    assert named == {source: [node.pinned_version()] for source in named}
