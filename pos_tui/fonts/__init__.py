"""Fonts shipped inside the package, so a PDF prints the same on any machine: DejaVu Sans
(regular and bold, version 2.37), under the Bitstream Vera and Arev licences, see LICENSE here."""
