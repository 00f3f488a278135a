"""``python -m pipeline.cli``: the console script."""

from pipeline.cli import main

main()
