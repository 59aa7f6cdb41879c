"""Rule directories outside the package: ``--rules-dir DIR`` and ``VISITATION_RULES_PATH``.

A region keeps its own families in a directory laid out as ``<family>/<version>.yaml``
and names it with ``--rules-dir`` (repeatable) or in ``VISITATION_RULES_PATH``
(directories separated by ``os.pathsep``); its families are then found by name beside the
bundled ones, by every command. A family in two places is an error.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from visitation import RULES_PATH_ENV, Library, default_library, rules_path

__all__ = ["add_rules_dir", "library_for"]


def add_rules_dir(parser: argparse.ArgumentParser) -> None:
    """Add ``--rules-dir DIR`` (repeatable) to a subcommand."""
    parser.add_argument(
        "--rules-dir",
        metavar="DIR",
        action="append",
        type=Path,
        default=[],
        help=(
            "a directory of rule files laid out as <family>/<version>.yaml, beside the "
            f"bundled ones (repeatable; also ${RULES_PATH_ENV}, separated by ':')"
        ),
    )


def library_for(dirs: Sequence[Path] | None) -> Library:
    """The library of the bundled files, ``$VISITATION_RULES_PATH`` and ``dirs``."""
    if not dirs:
        return default_library()
    return Library(dirs=[*rules_path(), *dirs])
