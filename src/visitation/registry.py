"""The bundled rule sets, and choosing a version by name or by effective date.

``rules/<family>/<version>.yaml`` ships inside the wheel as ``visitation/rules``. A rule
set is named ``family`` (the version in force on the evaluation date), ``family@version``
(that version, whatever the date) or by a path to a rule file.

Choosing by date: among the versions in force on the date, a published version wins
over a provisional one, which wins over a draft; among equals, the latest
``effective_from``. Retired versions are only used when named by version.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from visitation.compile import CompiledRuleSet, compile_ruleset, content_hash
from visitation.errors import NoRuleSetInForce, UnknownRuleSet, did_you_mean
from visitation.load import ensure_checked, load_ruleset_file
from visitation.ruleset import RuleSet

__all__ = [
    "RuleSetInfo",
    "RuleSpec",
    "bundled_rules_dir",
    "compiled",
    "list_rulesets",
    "load_ruleset",
    "resolve",
]

RuleSpec = str | Path | RuleSet | CompiledRuleSet

_STATUS_RANK = {"published": 0, "provisional": 1, "draft": 2}
_SEMVER = re.compile(r"\d+\.\d+\.\d+")


@dataclass(frozen=True, slots=True)
class RuleSetInfo:
    """One bundled rule file: identity, status, effective dates, title, path."""

    family: str
    version: str
    status: str
    effective_from: date
    effective_until: date | None
    title: dict[str, str]
    path: Path

    @property
    def key(self) -> str:
        return f"{self.family}@{self.version}"


def bundled_rules_dir() -> Path:
    """Where the bundled rule files are: inside the installed package, or the source tree."""
    packaged = Path(str(resources.files("visitation"))) / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


@functools.cache
def _bundled_files() -> dict[str, dict[str, Path]]:
    root = bundled_rules_dir()
    out: dict[str, dict[str, Path]] = {}
    for f in sorted(root.glob("*/*.yaml")):
        if _SEMVER.fullmatch(f.stem):
            out.setdefault(f.parent.name, {})[f.stem] = f
    return out


@functools.cache
def _load_bundled(path: Path) -> RuleSet:
    return load_ruleset_file(path)


def list_rulesets() -> list[RuleSetInfo]:
    """Every bundled family and version, oldest version first within a family."""
    infos: list[RuleSetInfo] = []
    for _family, versions in sorted(_bundled_files().items()):
        for version in sorted(versions, key=_version_key):
            rs = _load_bundled(versions[version])
            infos.append(
                RuleSetInfo(
                    rs.family,
                    rs.version,
                    rs.status,
                    rs.effective_from,
                    rs.effective_until,
                    dict(rs.title),
                    versions[version],
                )
            )
    return infos


def load_ruleset(spec: str | Path, *, on: date | None = None) -> RuleSet:
    """A rule set by ``family@version``, by ``family`` (needs ``on``) or by file path."""
    if isinstance(spec, Path) or spec.endswith((".yaml", ".yml")):
        return load_ruleset_file(spec)
    family, _, version = spec.partition("@")
    files = _bundled_files()
    if family not in files:
        raise UnknownRuleSet(
            f"no bundled rule set family '{family}'{did_you_mean(family, files)}; "
            f"families: {', '.join(sorted(files))}"
        )
    versions = files[family]
    if version:
        if version not in versions:
            known = ", ".join(sorted(versions, key=_version_key))
            raise UnknownRuleSet(f"{family} has no version {version}; versions: {known}")
        return _load_bundled(versions[version])
    if on is None:
        raise UnknownRuleSet(
            f"'{family}' names a family: give a version ('{family}@X.Y.Z') or an evaluation date"
        )
    return _in_force(family, [_load_bundled(p) for p in versions.values()], on)


def _in_force(family: str, candidates: list[RuleSet], on: date) -> RuleSet:
    live = [rs for rs in candidates if rs.status in _STATUS_RANK and rs.in_force_on(on)]
    if not live:
        spans = "; ".join(
            f"{rs.version} ({rs.status}, {rs.effective_from}–{rs.effective_until or 'open'})"
            for rs in sorted(candidates, key=lambda r: _version_key(r.version))
        )
        raise NoRuleSetInForce(
            f"no version of {family} is in force on {on.isoformat()}: {spans}; "
            f"name a version ('{family}@X.Y.Z') to evaluate with it anyway"
        )
    return min(live, key=lambda rs: (_STATUS_RANK[rs.status], -rs.effective_from.toordinal()))


_COMPILED: dict[str, CompiledRuleSet] = {}
_MAX_COMPILED = 64
"""Compiled rule sets kept by content hash; the oldest is dropped beyond this."""
_BY_IDENTITY: dict[int, tuple[RuleSet, CompiledRuleSet]] = {}


def compiled(ruleset: RuleSet) -> CompiledRuleSet:
    """The compiled form of a rule set, cached by content hash (and by object identity,
    so that passing the same RuleSet object again costs a dictionary look-up)."""
    known = _BY_IDENTITY.get(id(ruleset))
    if known is not None and known[0] is ruleset:
        return known[1]
    digest = content_hash(ruleset)
    hit = _COMPILED.get(digest)
    if hit is None:
        ensure_checked(ruleset, digest)
        if len(_COMPILED) >= _MAX_COMPILED:  # forget the oldest (an author editing in a loop)
            del _COMPILED[next(iter(_COMPILED))]
        hit = _COMPILED[digest] = compile_ruleset(ruleset)
    if len(_BY_IDENTITY) >= 128:
        _BY_IDENTITY.clear()
    _BY_IDENTITY[id(ruleset)] = (ruleset, hit)
    return hit


@functools.lru_cache(maxsize=256)
def _compiled_by_name(spec: str, on: date | None) -> CompiledRuleSet:
    return compiled(load_ruleset(spec, on=on))


def resolve(spec: RuleSpec, on: date) -> CompiledRuleSet:
    """The compiled rule set a spec names, choosing by ``on`` when only a family is given."""
    if isinstance(spec, CompiledRuleSet):
        return spec
    if isinstance(spec, RuleSet):
        return compiled(spec)
    if isinstance(spec, Path) or spec.endswith((".yaml", ".yml")):
        return compiled(load_ruleset_file(spec))
    # a pinned version does not depend on the date: share one cache entry
    return _compiled_by_name(spec, None if "@" in spec else on)
