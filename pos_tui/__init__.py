"""pos-tui: a point of sale for the terminal, built around the customer at the till."""

__version__ = "0.1.0"
