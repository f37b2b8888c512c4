"""Cells of the CSV files Centralita exports, made safe to open in a spreadsheet.

A cell starting with `=`, `+`, `-`, `@`, tab or CR is read as a formula by spreadsheet software
(CSV injection); it gets a leading `'`, which spreadsheets show as text. Importers strip it again.
"""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> str:
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
