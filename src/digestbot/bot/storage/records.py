"""Between table rows and the bot's records: same-named columns copy across, the rest is said once.

Each store turns its rows into the frozen dataclasses the bot works with (and back). Listing
every column by hand restated the schema in each store, and a column added to a table could be
forgotten in one direction; here only the fields a column keeps in another shape (a comma list,
JSON text) are spelled out.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_Record = TypeVar("_Record", bound="DataclassInstance")


def record_from_row(record_type: type[_Record], row: object, **stored_otherwise: Any) -> _Record:
    """``record_type`` (a dataclass) from ``row``'s columns of the same names; ``stored_otherwise``
    gives the fields whose column holds them in another shape."""
    names = [field.name for field in dataclasses.fields(record_type) if field.name not in stored_otherwise]
    return record_type(**{name: getattr(row, name) for name in names}, **stored_otherwise)


def row_values(record: DataclassInstance, **stored_otherwise: Any) -> dict[str, Any]:
    """The column values for ``record`` (a dataclass instance): its fields, with ``stored_otherwise``
    replacing or adding the columns that are not a field as it is (a joined list, a timestamp)."""
    values = {field.name: getattr(record, field.name) for field in dataclasses.fields(record)}
    return values | stored_otherwise


def split_list(stored: str, separator: str = ",") -> tuple[str, ...]:
    """A list column (``"llm,cv"``) as its items; an empty column is an empty tuple."""
    return tuple(item for item in stored.split(separator) if item)
