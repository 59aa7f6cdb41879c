"""Reading a bundle: from a file, bytes, a dict or ``fhir.resources`` objects, with limits.

Nothing is half-read: the whole input is parsed and checked before any fact is returned,
and every problem is a :class:`FhirInputError` naming the entry, resource and element.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from visitation import Diagnostic, PatientFileError

__all__ = ["MAX_BUNDLE_BYTES", "FhirInputError", "read_bundle"]

MAX_BUNDLE_BYTES = 50 * 1024 * 1024
"""The largest bundle read (50 MiB): a patient's record is far smaller."""


class FhirInputError(PatientFileError):
    """A bundle could not be read: each problem names entry, resource and element."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_bundle(source: Any, *, name: str | None = None) -> tuple[Any, str]:
    """The parsed JSON of ``source`` and a name for messages.

    ``source`` is a path (``str`` or :class:`~pathlib.Path`), JSON text as ``bytes``
    (or a ``str`` starting with ``{``), a dict as ``json``/``orjson`` give it, or a
    ``fhir.resources`` model (dumped to plain JSON first).
    """
    if isinstance(source, dict | list):  # parsed JSON
        return source, name or "<bundle>"
    if hasattr(source, "model_dump") and hasattr(source, "get_resource_type"):
        # a fhir.resources object: its JSON form, with FHIR's element names
        data = source.model_dump(mode="json", by_alias=True, exclude_none=True)
        return data, name or f"<{source.get_resource_type()} object>"
    if isinstance(source, str) and source.lstrip().startswith("{"):
        source = source.encode("utf-8")
    if isinstance(source, bytes | bytearray):
        return _parse(bytes(source), name or "<bundle>"), name or "<bundle>"
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        shown = name or str(path)
        try:
            size = path.stat().st_size
            if size > MAX_BUNDLE_BYTES:
                raise _too_large(size, shown)
            with path.open("rb") as f:
                text = f.read(MAX_BUNDLE_BYTES + 1)
        except OSError as exc:
            raise FhirInputError(
                [Diagnostic("unreadable-file", exc.strerror or str(exc), shown)]
            ) from None
        return _parse(text, shown), shown
    raise TypeError(
        f"a bundle is a dict, JSON bytes, a path or a fhir.resources object, "
        f"not {type(source).__name__}"
    )


def _too_large(size: int, name: str) -> FhirInputError:
    return FhirInputError(
        [
            Diagnostic(
                "bundle-too-large",
                f"{size} bytes is over the limit of {MAX_BUNDLE_BYTES} bytes (50 MiB); "
                "send the patient's own resources only",
                name,
            )
        ]
    )


def _parse(text: bytes, name: str) -> Any:
    if len(text) > MAX_BUNDLE_BYTES:
        raise _too_large(len(text), name)
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise FhirInputError(
            [Diagnostic("json-syntax", exc.msg, name, exc.lineno, exc.colno)]
        ) from None
    except UnicodeDecodeError as exc:
        raise FhirInputError(
            [Diagnostic("json-encoding", f"not UTF-8 text: {exc.reason}", name)]
        ) from None
    except ValueError as exc:  # NaN, Infinity
        raise FhirInputError([Diagnostic("json-syntax", str(exc), name)]) from None
