"""Regenerate the screenshots in docs/ (the widget, the editors' desk) with the browser tests
that take them.

    .venv/bin/python scripts/screenshots.py

Runs the tests that take screenshots (desktop and phone, widget and desk) against real servers
in headless Chromium, with ``ASKBOT_SCREENSHOTS`` pointing at docs/ instead of a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TESTS = {
    "test_widget.py": ("test_typed_question_gets_the_right_answer", "test_phone_layout"),
    "test_desk_browser.py": (
        "test_an_editor_teaches_a_fallen_back_question_and_undoes_it",
        "test_the_desk_reads_at_360_px_and_by_keyboard",
    ),
}


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
        *(str(REPO / "tests" / "api" / name) for name in TESTS),
        "-k",
        " or ".join(test for tests in TESTS.values() for test in tests),
    ]
    raise SystemExit(subprocess.call(command, cwd=REPO, env=env))


if __name__ == "__main__":
    main()
