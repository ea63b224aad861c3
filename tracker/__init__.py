"""relations-tracker: the application layer (store, queries, audit, import, CLI).

``from tracker import Tracker`` is the Python API; the CLI is ``tracker`` (see ``tracker.cli``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.api import Tracker

__all__ = ["Tracker"]


def __getattr__(name: str) -> Any:
    # lazy, so that `tracker --help` does not import pydantic
    if name == "Tracker":
        from tracker.api import Tracker

        return Tracker
    raise AttributeError(name)
