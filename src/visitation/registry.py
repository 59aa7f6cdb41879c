"""The library of rule sets: the bundled files (and any others), choosing a version by name
or by effective date, and the one owner of every cache.

``rules/<family>/<version>.yaml`` ships inside the wheel as ``visitation/rules``. A rule
set is named ``family`` (the version in force on the evaluation date), ``family@version``
(that version, whatever the date) or by a path to a rule file.

Choosing by date: among the versions in force on the date, a published version wins
over a provisional one, which wins over a draft; among equals, the latest
``effective_from``. Retired versions are only used when named by version.

A :class:`Library` holds the rule files it has read, their checked and compiled forms
(by content hash) and the explainers of each compiled rule set, every cache bounded and
owned by the library instance; nothing is kept at module level. :func:`default_library`
is the instance for the bundled files that ``visitation.evaluate`` and the CLI use.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from visitation._lru import Lru
from visitation.check import CheckedRuleSet, checked
from visitation.compile import CompiledRuleSet, compile_ruleset
from visitation.errors import NoRuleSetInForce, UnknownRuleSet, did_you_mean
from visitation.explanation import Explainer
from visitation.load import load_checked_file
from visitation.ruleset import RuleSet, content_hash

__all__ = [
    "RULES_PATH_ENV",
    "Library",
    "RuleSetInfo",
    "RuleSpec",
    "bundled_rules_dir",
    "compiled",
    "default_library",
    "list_rulesets",
    "load_ruleset",
    "resolve",
    "rules_path",
]

RULES_PATH_ENV = "VISITATION_RULES_PATH"
"""The environment variable naming rule directories beside the bundled files (laid out
as ``<family>/<version>.yaml``, separated by ``os.pathsep``), read by
:func:`default_library`: a region keeps its own families without forking."""

RuleSpec = str | Path | RuleSet | CheckedRuleSet | CompiledRuleSet

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
    # published before provisional before draft; then the latest start; then the highest version
    return max(
        live,
        key=lambda rs: (-_STATUS_RANK[rs.status], rs.effective_from, _version_key(rs.version)),
    )


class Library:
    """Rule files, their checked and compiled forms, and the explainers: one owner.

    ``Library()`` holds the bundled rule files; ``Library(dirs=[...])`` adds directories
    laid out as ``<family>/<version>.yaml`` (a family found in several places is an
    error), and ``bundled=False`` leaves the bundled files out. Every cache is bounded:
    ``max_programs`` compiled rule sets (and as many checked ones), each with one
    explainer per language choice.
    """

    def __init__(
        self,
        dirs: Iterable[str | Path] = (),
        *,
        bundled: bool = True,
        max_programs: int = 64,
    ) -> None:
        roots = [bundled_rules_dir()] if bundled else []
        roots += [Path(d) for d in dirs]
        self._files = _find_files(roots)
        self._what = "bundled rule set" if roots == [bundled_rules_dir()] else "rule set"
        self._loaded: Lru[tuple[Path, int, int], CheckedRuleSet] = Lru(max(256, max_programs))
        self._checked: Lru[str, CheckedRuleSet] = Lru(max_programs)
        self._programs: Lru[str, CompiledRuleSet] = Lru(max_programs)
        self._by_identity: Lru[int, tuple[RuleSet, CompiledRuleSet]] = Lru(2 * max_programs)
        self._explainers: Lru[tuple[str, str | None], Explainer] = Lru(2 * max_programs)

    # -- files -------------------------------------------------------------------------

    def _load(self, path: Path) -> CheckedRuleSet:
        try:  # a file rewritten in place is read again: the key holds its time and size
            st = path.stat()
            key: tuple[Path, int, int] = (path, st.st_mtime_ns, st.st_size)
        except OSError:
            key = (path, -1, -1)  # unreadable: load_checked_file reports it
        found = self._loaded.get_or_make(key, lambda: load_checked_file(path))
        self._checked.put(found.content_hash, found)
        return found

    def families(self) -> list[str]:
        """The families this library holds."""
        return sorted(self._files)

    def list_rulesets(self) -> list[RuleSetInfo]:
        """Every family and version, oldest version first within a family."""
        infos: list[RuleSetInfo] = []
        for _family, versions in sorted(self._files.items()):
            for version in sorted(versions, key=_version_key):
                rs = self._load(versions[version]).ruleset
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

    def load(self, spec: str | Path, *, on: date | None = None) -> RuleSet:
        """A rule set by ``family@version``, by ``family`` (needs ``on``) or by file path."""
        return self._load_checked(spec, on).ruleset

    def _load_checked(self, spec: str | Path, on: date | None) -> CheckedRuleSet:
        if isinstance(spec, Path) or spec.endswith((".yaml", ".yml")):
            return self._load(Path(spec))
        family, _, version = spec.partition("@")
        if family not in self._files:
            raise UnknownRuleSet(
                f"no {self._what} family '{family}'{did_you_mean(family, self._files)}; "
                f"families: {', '.join(sorted(self._files))}"
            )
        versions = self._files[family]
        if version:
            if version not in versions:
                known = ", ".join(sorted(versions, key=_version_key))
                raise UnknownRuleSet(f"{family} has no version {version}; versions: {known}")
            return self._load(versions[version])
        if on is None:
            raise UnknownRuleSet(
                f"'{family}' names a family: give a version ('{family}@X.Y.Z') or an "
                "evaluation date"
            )
        candidates = [self._load(p) for p in versions.values()]
        chosen = _in_force(family, [c.ruleset for c in candidates], on)
        return next(c for c in candidates if c.ruleset is chosen)

    # -- stages ------------------------------------------------------------------------

    def check(self, ruleset: RuleSet) -> CheckedRuleSet:
        """The checked form of a rule set (checked once per content hash)."""
        digest = content_hash(ruleset)
        return self._checked.get_or_make(digest, lambda: checked(ruleset))

    def compile(self, ruleset: RuleSet | CheckedRuleSet) -> CompiledRuleSet:
        """The compiled form, checked first, cached by content hash (and by identity, so
        passing the same RuleSet object again costs a look-up)."""
        given = ruleset.ruleset if isinstance(ruleset, CheckedRuleSet) else ruleset
        known = self._by_identity.get(id(given))
        if known is not None and known[0] is given:
            return known[1]
        good = ruleset if isinstance(ruleset, CheckedRuleSet) else self.check(ruleset)
        program = self._programs.get_or_make(good.content_hash, lambda: compile_ruleset(good))
        self._by_identity.put(id(given), (given, program))
        return program

    def resolve(self, spec: RuleSpec, on: date) -> CompiledRuleSet:
        """The compiled rule set a spec names, choosing by ``on`` when only a family is given."""
        if isinstance(spec, CompiledRuleSet):
            return spec
        if isinstance(spec, RuleSet | CheckedRuleSet):
            return self.compile(spec)
        # a pinned version or a path does not depend on the date
        return self.compile(self._load_checked(spec, on))

    def explainer(self, program: CompiledRuleSet, lang: str | None) -> Explainer:
        """The explainer of a compiled rule set for one language choice (with its memo)."""
        return self._explainers.get_or_make(
            (program.content_hash, lang), lambda: Explainer(program, lang, memo=True)
        )


def _find_files(roots: list[Path]) -> dict[str, dict[str, Path]]:
    out: dict[str, dict[str, Path]] = {}
    where: dict[str, Path] = {}
    for root in roots:
        for f in sorted(root.glob("*/*.yaml")):
            if not _SEMVER.fullmatch(f.stem):
                continue
            family = f.parent.name
            if family in where and where[family] != root:
                raise UnknownRuleSet(
                    f"family '{family}' is in two rule directories: {where[family]} and {root}"
                )
            where[family] = root
            out.setdefault(family, {})[f.stem] = f
    return out


def rules_path() -> list[Path]:
    """The rule directories named by ``VISITATION_RULES_PATH`` (none when it is unset)."""
    raw = os.environ.get(RULES_PATH_ENV, "")
    return [Path(p) for p in raw.split(os.pathsep) if p.strip()]


@functools.cache
def default_library() -> Library:
    """The library of the bundled rule files (and the directories of
    ``VISITATION_RULES_PATH``, read once), shared by ``visitation.evaluate`` and the CLI."""
    return Library(dirs=rules_path())


def list_rulesets() -> list[RuleSetInfo]:
    """Every bundled family and version, oldest version first within a family."""
    return default_library().list_rulesets()


def load_ruleset(spec: str | Path, *, on: date | None = None) -> RuleSet:
    """A rule set by ``family@version``, by ``family`` (needs ``on``) or by file path."""
    return default_library().load(spec, on=on)


def compiled(ruleset: RuleSet) -> CompiledRuleSet:
    """The compiled form of a rule set (checked first), cached by the default library."""
    return default_library().compile(ruleset)


def resolve(spec: RuleSpec, on: date) -> CompiledRuleSet:
    """The compiled rule set a spec names, choosing by ``on`` when only a family is given."""
    return default_library().resolve(spec, on)
