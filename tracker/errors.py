"""Errors the application raises; all derive from :class:`events.errors.TrackerError`."""

from __future__ import annotations

from events.errors import InvalidEventError, TrackerError, UnknownPartyError, UnknownTypeError

__all__ = [
    "BusyStoreError",
    "ConflictError",
    "DamagedStoreError",
    "DiskFullError",
    "InvalidEventError",
    "NewerSchemaError",
    "NotAStoreError",
    "ReadOnlyStoreError",
    "StoreError",
    "StoreNotFoundError",
    "TrackerError",
    "UnknownPartyError",
    "UnknownTypeError",
]


class StoreError(TrackerError):
    """Something is wrong with the store file or an operation on it."""


class StoreNotFoundError(StoreError):
    """A read was asked of a store file that does not exist."""


class NotAStoreError(StoreError):
    """The file exists but is not a relations-tracker store (another database, not SQLite)."""


class NewerSchemaError(StoreError):
    """The store was written by a newer version; it is never silently changed."""


class DamagedStoreError(StoreError):
    """SQLite reports the file as damaged or unreadable."""


class ConflictError(StoreError):
    """An event id already in the log (or twice in a batch) with different content."""


class ReadOnlyStoreError(StoreError):
    """A write asked of a store that cannot be written (read-only file, directory or media)."""


class BusyStoreError(StoreError):
    """Another process held the store's write lock for longer than the wait allows."""


class DiskFullError(StoreError):
    """The disk filled up while writing the store; the transaction was rolled back."""
