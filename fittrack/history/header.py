"""The header line of a CSV file: quoting, and names that spreadsheets would run.

A key starting with ``=``, ``+``, ``-``, ``@`` or a tab would open as a formula
in a spreadsheet (CSV injection). fittrack writes such a header cell with a
leading apostrophe (``'=cost`` for the key ``=cost``), which spreadsheets show
as text, and :func:`parse_header` removes it again, so ``load_history`` gives
back the key as it was recorded. A key that starts with an apostrophe gets a
second one, so every key round-trips exactly. (A file from another writer with
a header cell such as ``'=x`` therefore loads as the key ``=x``.) Cells in the
data rows are numbers and are never escaped.

Example:
    >>> header_line(["epoch", "=cost", "a,b"])
    'epoch,\\'=cost,"a,b"\\n'
    >>> parse_header(b"epoch,'=cost,\\"a,b\\"\\r\\n", ",")
    ['epoch', '=cost', 'a,b']
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

#: First characters that make a spreadsheet cell a formula.
FORMULA_START = ("=", "+", "-", "@", "\t")
_ESCAPE = "'"


def escape_cell(name: str) -> str:
    """The header cell of ``name`` (a leading apostrophe where a spreadsheet needs one).

    Example:
        >>> [escape_cell(n) for n in ("loss", "-x", "'y")]
        ['loss', "'-x", "''y"]
    """
    return _ESCAPE + name if name.startswith(FORMULA_START + (_ESCAPE,)) else name


def unescape_cell(cell: str) -> str:
    """The name a header cell stands for (the inverse of :func:`escape_cell`)."""
    if len(cell) > 1 and cell[0] == _ESCAPE and cell[1] in FORMULA_START + (_ESCAPE,):
        return cell[1:]
    return cell


def header_line(columns: Sequence[str]) -> str:
    """The CSV header line for ``columns`` (escaped and quoted where needed)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([escape_cell(c) for c in columns])
    return buffer.getvalue()


def split_line(text: str, sep: str) -> list[str]:
    """The cells of one CSV line (quotes as the csv module reads them; no size limit).

    Example:
        >>> split_line('a,"b ""c"", d",e', ",")
        ['a', 'b "c", d', 'e']
    """
    if '"' not in text:
        return text.split(sep)
    cells: list[str] = []
    buf: list[str] = []
    quoted, start, i = False, True, 0
    while i < len(text):
        c = text[i]
        if quoted:
            if c == '"' and text[i + 1:i + 2] == '"':
                buf.append('"')
                i += 1
            elif c == '"':
                quoted = False
            else:
                buf.append(c)
        elif c == '"' and start:
            quoted = True
        elif c == sep:
            cells.append("".join(buf))
            buf = []
            start = True
            i += 1
            continue
        else:
            buf.append(c)
        start = False
        i += 1
    if quoted:
        raise ValueError("a quoted cell is not closed")
    cells.append("".join(buf))
    return cells


def parse_header(line: bytes, sep: str) -> list[str]:
    """The names in a header line (bytes, line end included or not).

    Raises:
        UnicodeDecodeError: the line is not UTF-8.
        ValueError: a quoted cell is not closed.
    """
    text = line.decode("utf-8")
    text = text[1:] if text.startswith("\ufeff") else text  # a UTF-8 byte order mark
    return [unescape_cell(cell) for cell in split_line(text.rstrip("\r\n"), sep)]
