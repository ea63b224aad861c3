"""``python -m tracker``: the same command line as the ``tracker`` script."""

from tracker.cli import main

main(prog_name="tracker")
