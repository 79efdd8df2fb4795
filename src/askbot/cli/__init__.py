"""The ``askbot`` command; each module registers its commands on the one Typer app."""

from askbot.cli import answering, building, measuring, serving
from askbot.cli.app import app, main

__all__ = ["answering", "app", "building", "main", "measuring", "serving"]
