"""Check a CSV file's bytes before they are parsed: nothing untrustworthy is read.

A file is refused, with a message naming it and the line, when it is not a
regular file, is empty, holds NUL bytes (binary data, UTF-16 text) or text
that is not UTF-8, has a header with an empty or repeated name, has a row
with more or fewer fields than the header (a short row, two writers), or
ends without a line break (a row cut short: the writer was killed or the
disk was full, so its last value may be cut too: ``0.57`` read as ``0.5``).
Blank lines are skipped. ``\\r\\n`` line ends (Keras' ``CSVLogger``) are fine.

Example:
    >>> layout = check_text("a.csv", b"epoch,loss\\r\\n0,0.5\\r\\n\\r\\n1,0.25\\r\\n", ",")
    >>> layout.header, layout.lines.tolist()
    (['epoch', 'loss'], [2, 4])
    >>> check_text("a.csv", b"epoch,loss\\n0,0.5\\n1,0.2", ",")
    Traceback (most recent call last):
    ...
    ValueError: 'a.csv', line 3: the last line '1,0.2' does not end with a line break: ...
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import NamedTuple

import numpy as np

from fittrack.history.header import parse_header, split_line
from fittrack.history.paths import NO_WAIT, file_kind

HELP = ("Expected a CSV written by fittrack (MetricHistory.to_csv, MetricsCallback(csv_path=...)) "
        "or by keras.callbacks.CSVLogger")


class Layout(NamedTuple):
    """A checked file: its header names, its rows' bytes, each row's line number."""

    header: list[str]
    body: bytes
    lines: np.ndarray


def read_bytes(path: str | os.PathLike) -> bytes:
    """The bytes of the regular file ``path`` (clear errors otherwise)."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(f"{str(path)!r} does not exist. {HELP}; check the path (for a "
                                f"MetricsCallback run it is the csv_path you passed).") from None
    if stat.S_ISDIR(mode):
        raise FileNotFoundError(f"{str(path)!r} is a folder. {HELP}; check the path (for a "
                                f"MetricsCallback run it is the csv_path you passed).")
    if not stat.S_ISREG(mode):
        raise ValueError(f"{str(path)!r} is a {file_kind(mode)}, not a regular file. {HELP}.")
    fd = os.open(path, os.O_RDONLY | NO_WAIT)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def check_text(path: str | os.PathLike, data: bytes, sep: str) -> Layout:
    """Check the bytes of a CSV file (see the module docstring); return its layout."""
    where = str(path)
    if len(sep) != 1 or sep in '"\r\n':
        raise ValueError(f"sep must be one character other than a quote or a line break; "
                         f"received {sep!r}.")
    if not data:
        raise ValueError(f"{where!r} is empty: it has no header line. {HELP}, which start with a "
                         f"header such as 'epoch,loss,...'. The run that writes it may not have "
                         f"finished an epoch yet.")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data:
        raise ValueError(f"{where!r} is not UTF-8 text: it holds NUL bytes (a binary file, or "
                         f"text saved as UTF-16). {HELP}: UTF-8 text. If it is a CSV saved as "
                         f"UTF-16, save it again as UTF-8.")
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    end = data.find(b"\n", start)
    end = len(data) if end < 0 else end + 1
    header = _header(where, data[start:end], sep)
    body = data[end:]
    if body and not body.endswith(b"\n"):
        last = body.rsplit(b"\n", 1)[-1]
        line = 1 + data.count(b"\n")
        raise ValueError(f"{where!r}, line {line}: the last line {_show(last)} does not end with "
                         f"a line break: the writer was interrupted mid-row (killed, or the disk "
                         f"was full), so its last value may be cut short. Delete that line to "
                         f"load the rest (or end it with a line break if it is complete).")
    _check_encoding(where, data, end)
    if b'"' in body:
        lines = _quoted_rows(where, body, sep, len(header))
    else:
        lines = _plain_rows(where, body, sep, len(header))
    return Layout(header, body, lines)


def _header(where: str, line: bytes, sep: str) -> list[str]:
    try:
        names = parse_header(line, sep)
    except UnicodeDecodeError as error:
        raise ValueError(f"{where!r}, line 1: the header is not UTF-8 text (byte "
                         f"0x{line[error.start]:02x} at position {error.start + 1}). {HELP}: "
                         f"UTF-8 text; save the file again as UTF-8.") from None
    except ValueError as error:
        raise ValueError(f"{where!r}, line 1: the header cannot be read ({error}). {HELP}.") \
            from None
    for i, name in enumerate(names):
        if not name:
            raise ValueError(f"{where!r}, line 1: column {i + 1} of the header has no name. "
                             f"{HELP}, where every column is named; name it or remove it.")
        if name in names[:i]:
            raise ValueError(f"{where!r}, line 1: the header names {name!r} twice (columns "
                             f"{names.index(name) + 1} and {i + 1}). A key must name one column; "
                             f"rename one of them.")
    return names


def _check_encoding(where: str, data: bytes, offset: int) -> None:
    if data.isascii():
        return
    try:
        data[offset:].decode("utf-8")
    except UnicodeDecodeError as error:
        line = 1 + data.count(b"\n", 0, offset + error.start)
        raise ValueError(f"{where!r}, line {line}: not UTF-8 text. {HELP}: UTF-8 text with "
                         f"numbers in the rows; save the file again as UTF-8.") from None


def _plain_rows(where: str, body: bytes, sep: str, n_fields: int) -> np.ndarray:
    """Line numbers of the data rows (blank lines skipped); each must have n_fields."""
    raw = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    starts = np.concatenate([[0], ends[:-1] + 1]) if len(ends) else ends
    length = ends - starts - (raw[np.maximum(ends - 1, 0)] == 13)  # without the \r
    seps = np.flatnonzero(raw == ord(sep))
    fields = np.diff(np.searchsorted(seps, ends), prepend=0) + 1
    rows = length > 0
    bad = np.flatnonzero(rows & (fields != n_fields))
    if len(bad):
        i = int(bad[0])
        _wrong_width(where, i + 2, int(fields[i]), n_fields, body[starts[i]:ends[i]])
    return np.flatnonzero(rows) + 2


def _quoted_rows(where: str, body: bytes, sep: str, n_fields: int) -> np.ndarray:
    """As :func:`_plain_rows`, for rows with quoted cells (which may span lines)."""
    lines: list[int] = []
    pending, first = None, 0
    for number, line in enumerate(body.decode("utf-8").split("\n")[:-1], start=2):
        row = line if pending is None else pending + "\n" + line
        if row.count('"') % 2:  # a quoted cell goes on at the next line
            pending, first = row, first if pending is not None else number
            continue
        pending = None
        row = row[:-1] if row.endswith("\r") else row
        if not row:
            continue
        cells = split_line(row, sep)
        if len(cells) != n_fields:
            _wrong_width(where, number, len(cells), n_fields, row.encode("utf-8"))
        lines.append(number)
    if pending is not None:
        raise ValueError(f"{where!r}, line {first}: a quoted cell is not closed. {HELP}, whose "
                         f"rows hold numbers; fix or delete that line.")
    return np.array(lines, dtype=np.int64)


def _wrong_width(where: str, line: int, got: int, n_fields: int, text: bytes) -> None:
    if got > n_fields:
        raise ValueError(f"{where!r}, line {line}: the row {_show(text)} has {got} fields, more "
                         f"than the {n_fields} of the header. {HELP}, where every row has as "
                         f"many fields as the header. A CSVLogger file appended to by runs with "
                         f"different metrics has this problem; split it where the columns "
                         f"change, or fix the header.")
    raise ValueError(f"{where!r}, line {line}: the row {_show(text)} has {got} fields where "
                     f"the header has {n_fields}: a short row (two writers mixed their rows, "
                     f"or the file was damaged). {HELP}, where every row has as many fields "
                     f"as the header; fix or delete that line.")


def _show(text: bytes, limit: int = 80) -> str:
    shown = text.decode("utf-8", "replace").rstrip("\r")
    return repr(shown if len(shown) <= limit else shown[:limit] + "...")
