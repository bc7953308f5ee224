"""The shop's rules. Plain functions taking and returning plain data; each write is one
transaction (`pos_tui.db.write`). Nothing here imports Textual: the till, the CLI and the tests
all call the same functions."""
