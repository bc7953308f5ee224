"""`python -m pos_tui` is the same as the `pos` command."""

from pos_tui.cli import main

main()
