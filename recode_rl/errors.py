"""User-facing error types. The CLI prints these as one clear message, no traceback."""

from __future__ import annotations

from recode_rl.config import ConfigError

__all__ = ["ConfigError", "DataError"]


class DataError(ValueError):
    """Bad user-supplied data. Build it with `DataError.at(...)` so it names where."""

    @classmethod
    def at(cls, file: object, message: str, *, record: object = None, field: str | None = None) -> "DataError":
        where = str(file)
        if record is not None:
            where += f", record {record}"
        if field is not None:
            where += f", field {field!r}"
        return cls(f"{where}: {message}")
