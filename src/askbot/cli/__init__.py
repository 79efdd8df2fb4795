"""The ``askbot`` command; each module registers its commands on the one Typer app."""

from askbot.cli import answering, building, importing, measuring, serving
from askbot.cli.app import app, main

__all__ = ["answering", "app", "building", "importing", "main", "measuring", "serving"]
