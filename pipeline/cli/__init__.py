"""The ``symsearch`` command line (L5): ``app`` (typer) and ``main``, the console script.

``python -m pipeline.cli`` runs it too. Importing this package imports typer only; each command
imports the libraries it needs when it runs.
"""

from pipeline.cli._app import app, main

__all__ = ["app", "main"]
