"""Personnummer written every way people (and attackers) write them."""

from __future__ import annotations

# The forms the issue found stored, and more: every separator, invisible and foreign digits.
PERSONNUMMER_FORMS = [
    "850101-1236",
    "850101–1236",  # en dash
    "850101—1236",  # em dash
    "850101 - 1236",  # spaced dash
    "850101 – 1236",
    "850101.1236",
    "850101/1236",
    "850101+1236",
    "850101 1236",
    "8501011236",
    "19850101-1236",
    "198501011236",
    "85 01 01 12 36",
    "8 5 0 1 0 1 1 2 3 6",
    "8501\u200b01-1236",  # zero-width space
    "850101\u00ad-1236",  # soft hyphen
    "８５０１０１－１２３６",  # full-width digits and dash
    "٨٥٠١٠١-١٢٣٦",  # Arabic-Indic digits
    "850161-1233",  # samordningsnummer
]
