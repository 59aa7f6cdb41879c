"""``diff``: two rule sets compared, with the checks across versions when they are one
family and the second is a file (for the located diagnostics)."""

from __future__ import annotations

from pathlib import Path

from visitation import Library, RuleSet, YamlDocument, load_yaml
from visitation.workbench._specs import named
from visitation.workbench.diff import RuleSetDiff, compare
from visitation.workbench.versions import (
    LOCK_NAME,
    check_against,
    check_released,
    check_wording,
    read_lock,
)

__all__ = ["diff"]


def _doc(path: Path, rs: RuleSet) -> YamlDocument:
    if path.is_file():
        return load_yaml(path.read_bytes(), path=str(path))
    return YamlDocument(data=None, path=f"<{rs.key}>")


def diff(
    a: str | Path | RuleSet, b: str | Path | RuleSet, *, library: Library | None = None
) -> RuleSetDiff:
    """What changed from ``a`` to ``b`` (each ``family@version``, a path or a RuleSet),
    rule by rule, with the checks of ``b`` against ``a`` when both are one family."""
    lib = library or Library()
    na, nb = named(a, lib), named(b, lib)
    d = compare(na.ruleset, nb.ruleset, na.label, nb.label)
    if na.ruleset.family != nb.ruleset.family:
        return d
    doc = _doc(nb.path, nb.ruleset)
    family = na.ruleset.family
    taken = {i.version for i in lib.list_rulesets() if i.family == family}
    taken |= {na.ruleset.version, nb.ruleset.version}
    found = check_against(na.ruleset, nb.ruleset, doc, taken=taken, diff=d)
    found += check_wording(nb.ruleset, doc)
    if nb.path.is_file():
        lock, problems = read_lock(nb.path.parent / LOCK_NAME)
        found += problems + check_released(nb.ruleset, doc, lock)
    found.sort(key=lambda x: (x.line or 0, x.col or 0))
    return compare(na.ruleset, nb.ruleset, na.label, nb.label, found)
