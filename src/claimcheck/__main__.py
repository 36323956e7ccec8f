"""python -m claimcheck: the command line."""

from .cli import main

main()
