"""``python -m askbot.cli``: the ``askbot`` command."""

from askbot.cli import main

main()
