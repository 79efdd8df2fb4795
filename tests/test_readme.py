"""Every shell command in the README works when pasted as written, against a real server."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.servers import Server, running_server

pytestmark = pytest.mark.slow

# The setup commands are what runs this test; the rest of the README must work as written.
SETUP = ("make ", "bash .ci/run")


def shell_blocks() -> list[str]:
    """The README's ```sh blocks, without the setup commands."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        kept = [line for line in block.splitlines() if not line.startswith(SETUP)]
        if any(line.strip() for line in kept):
            blocks.append("\n".join(kept) + "\n")
    return blocks


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`askbot serve` on the repo's own corpus, in a folder laid out like a fresh clone."""
    root = tmp_path_factory.mktemp("readme")
    shutil.copytree(REPO / "corpus", root / "corpus")
    shutil.copytree(REPO / "docs" / "eval", root / "docs" / "eval")
    (root / ".venv").symlink_to(Path(sys.prefix))  # the README's .venv/bin/askbot
    with running_server(root, workers=1, multilingual="true") as running:
        yield running


def test_the_readme_has_the_examples_a_user_pastes() -> None:
    blocks = shell_blocks()
    assert any("askbot ask" in b for b in blocks) and any("curl" in b for b in blocks)


@pytest.mark.parametrize("block", shell_blocks(), ids=lambda b: b.split()[0] + "…")
def test_a_readme_block_works_as_pasted(server: Server, block: str) -> None:
    # Only the address changes: the README's server is on :8000, the test's on a free port.
    script = block.replace("localhost:8000", server.url.removeprefix("http://"))
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=server.root,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert '"error"' not in result.stdout, result.stdout
