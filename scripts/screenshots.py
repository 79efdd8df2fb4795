"""Regenerate the widget screenshots in docs/ with the browser test that takes them.

    .venv/bin/python scripts/screenshots.py

Runs the two widget tests that take screenshots (desktop and phone) against a real server in
headless Chromium, with ``ASKBOT_SCREENSHOTS`` pointing at docs/ instead of a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TESTS = ("test_typed_question_gets_the_right_answer", "test_phone_layout")


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    env = {**os.environ, "ASKBOT_SCREENSHOTS": str(REPO / "docs")}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        str(REPO / "tests" / "api" / "test_widget.py"),
        "-k",
        " or ".join(TESTS),
    ]
    raise SystemExit(subprocess.call(command, cwd=REPO, env=env))


if __name__ == "__main__":
    main()
