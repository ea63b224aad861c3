"""The package's data tables (``events/data``), read with plain file access: importlib.resources
costs a noticeable share of a query's start-up, and this package is never imported from a zip.

Apart from :mod:`events.vocabulary` so that reading the party tables (every query resolves its
two parties) does not build the vocabulary's enumerations.
"""

from __future__ import annotations

import os

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")


def read_data(*parts: str, encoding: str = "utf-8") -> str:
    with open(os.path.join(DATA_DIR, *parts), encoding=encoding) as f:
        return f.read()
