"""pandas DataFrames of query results, for analysts (``pip install 'relations-tracker[pandas]'``).

pandas is an optional extra, imported only when a frame is asked for: the command line and the
rest of the API never pay for it. A frame's columns are the keys of the rows' ``to_dict()``
(the CLI's JSON), with the date columns as ``datetime64`` and a dyad split into ``party_a`` and
``party_b``, as in CSV.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tracker.errors import TrackerError

INSTALL_HINT = "pip install 'relations-tracker[pandas]'"

DATE_COLUMNS = ("as_of", "occurred_on", "last_event_on", "since", "recorded_at")
"""Columns holding ISO dates, made ``datetime64`` in a frame."""


class MissingExtraError(TrackerError):
    """An optional dependency that a call needs is not installed."""


def frame(rows: Iterable[Mapping[str, Any]], columns: Sequence[str] = ()) -> Any:
    """A ``pandas.DataFrame`` of ``rows`` (plain dicts, as ``to_dict()`` gives them);
    ``columns`` fixes their order and keeps them when there are no rows."""
    try:
        import pandas
    except ImportError:
        raise MissingExtraError(
            f"a DataFrame needs pandas, which is not installed: {INSTALL_HINT}", field="pandas"
        ) from None
    from tracker.render import flat

    data = [flat(r) for r in rows]
    df = pandas.DataFrame(data, columns=list(columns) or None)
    for name in DATE_COLUMNS:
        if name in df.columns:
            df[name] = pandas.to_datetime(df[name])
    return df
