"""Hypothesis strategies for patient facts: valid, gap-ridden and boundary-rich.

The evaluator promises laws (a definite verdict survives new facts, complete facts leave
nothing unknown, the listed missing facts settle a verdict, ...). These strategies are what
the project's own law tests use; they ship in the package so that integrators can check
their rule files, adapters and stores against the same laws.

Every strategy produces *valid* :class:`~visitation.facts.Patient` instances: values
within each field's constraints, vocabulary members for enums and sets, never both
``age`` and ``birth_date``. Facts are left unrecorded (``None``) as often as they are
recorded, and values gather at the edges where rules decide: ages 17, 18 and 19, dates
exactly 0, 30, 365 or 366 days before the evaluation date, birthdays on that date.

Example, a property test of one rule set::

    from datetime import date

    from hypothesis import given

    import visitation
    from visitation.testing import patients, refinements

    ON = date(2026, 11, 23)

    @given(patients(on=ON, require={"age", "prognosis"}, diagnosis_groups={"lung"}))
    def test_every_verdict_is_explained(patient):
        a = visitation.evaluate(patient, "dk-national@2.0.0", on=ON)
        assert all(r.explanation["en"] for r in a.rules)

Use ``st.data()`` to draw a patient and then one of its :func:`refinements` or a
:func:`fill` of the facts an assessment lists as missing.

The module needs the optional dependency hypothesis: ``pip install 'visitation[testing]'``.
"""

from __future__ import annotations

import calendar
import enum
import itertools
from collections.abc import Collection, Iterable, Mapping
from datetime import date, timedelta
from typing import Any, Literal

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised in a test with hypothesis hidden
    raise ImportError(
        "visitation.testing needs hypothesis, an optional dependency: "
        "pip install 'visitation[testing]'"
    ) from exc

import annotated_types
from pydantic import ValidationError

from visitation.errors import did_you_mean
from visitation.facts import (
    CONSISTENCY,
    DATE_ORDER,
    FACTS,
    RULE_FACTS,
    DiagnosisGroup,
    Patient,
    age_on,
)
from visitation.operators import OPERATORS, Operator, operators_for
from visitation.ruleset import RuleSet

__all__ = [
    "BOUNDARY_AGES",
    "BOUNDARY_DAYS",
    "DEFAULT_ON",
    "EORTC_ITEMS",
    "complete_patients",
    "conditions",
    "fact_values",
    "fill",
    "patients",
    "refinements",
    "rule_sets",
]

DEFAULT_ON = date(2026, 11, 23)
"""The evaluation date the strategies generate around when none is given."""

BOUNDARY_AGES: tuple[int, ...] = (17, 18, 19)
"""Ages on either side of adulthood, where age rules decide."""

BOUNDARY_DAYS: tuple[int, ...] = (
    0, 1, 7, 10, 11, 14, 28, 29, 30, 31, 90, 91, 180, 181, 364, 365, 366
)  # fmt: skip
"""Days before the evaluation date that boundary dates fall on (``within_days`` edges)."""

EORTC_ITEMS = 15
"""Items of the EORTC QLQ-C15-PAL: items 1-14 scored 1-4, item 15 scored 1-7."""

_PAST_DAYS = 3 * 366
"""How far back ordinary dates reach."""

_FUTURE_DAYS = 31
"""How far after the evaluation date a date may lie (data entered ahead, or wrong)."""

_AGE_FACTS = ("age", "birth_date")

_NOT_AFTER_ON = frozenset(r.first for r in CONSISTENCY if r.kind == "not-after-on")
"""Dates the evaluator refuses after the evaluation date: never drawn after ``on``."""

_EXCLUDES = tuple(r for r in CONSISTENCY if r.kind == "excludes")

_MEASURES = (
    "opioid titration",
    "laxatives",
    "antiemetics",
    "anxiolytics",
    "physiotherapy",
    "conversation with the GP",
    "home nursing",
    "social worker",
    "chaplain",
)

_FREE_TEXT = "abcdefghijklmnopqrstuvwxyzæøåABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅéü0123456789 -/"
"""Letters (Danish ones too), digits, space, hyphen and slash for free-text facts: an
explicit alphabet, so that hypothesis builds no Unicode table on first use."""

MissingSpec = float | Literal["any"] | Collection[str]
RequireSpec = Collection[str] | Literal["all"]
AgeFrom = Literal["age", "birth_date", "either"]


# --------------------------------------------------------------------------------------
# Values of one fact
# --------------------------------------------------------------------------------------


def _check_names(names: Iterable[str], what: str) -> None:
    for name in names:
        if name not in FACTS:
            hint = did_you_mean(name, FACTS)
            raise ValueError(f"{what}: '{name}' is not a fact of visitation.Patient{hint}")


def _int_bounds(name: str) -> tuple[int, int]:
    lo, hi = 0, 1000
    for constraint in Patient.model_fields[name].metadata:
        if isinstance(constraint, annotated_types.Ge):
            lo = int(constraint.ge)  # type: ignore[call-overload]
        elif isinstance(constraint, annotated_types.Le):
            hi = int(constraint.le)  # type: ignore[call-overload]
    return lo, hi


def _max_length(name: str) -> int | None:
    for constraint in Patient.model_fields[name].metadata:
        if isinstance(constraint, annotated_types.MaxLen):
            return constraint.max_length
    return None


def _ints(name: str, boundary: bool) -> st.SearchStrategy[int]:
    lo, hi = _int_bounds(name)
    values = st.integers(min_value=lo, max_value=hi)
    if not boundary:
        return values
    edges = {lo, min(lo + 1, hi), max(hi - 1, lo), hi}
    if name == "age":
        edges.update(a for a in BOUNDARY_AGES if lo <= a <= hi)
    return st.one_of(values, st.sampled_from(sorted(edges)))


def _dates(on: date, boundary: bool, future: bool = True) -> st.SearchStrategy[date]:
    # An offset in days before ``on`` shrinks towards ``on`` itself.
    values = st.integers(min_value=-_FUTURE_DAYS if future else 0, max_value=_PAST_DAYS).map(
        lambda days: on - timedelta(days=days)
    )
    if not boundary:
        return values
    edges = [on - timedelta(days=d) for d in BOUNDARY_DAYS]
    if future:
        edges.append(on + timedelta(days=1))
    return st.one_of(values, st.sampled_from(edges))


def _years_before(on: date, years: int) -> date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February in a year that has none
        return date(on.year - years, 2, 28)


def _birth_range(on: date, age: int) -> tuple[date, date]:
    """The earliest and the latest birth date giving ``age`` on ``on``."""
    one = timedelta(days=1)
    latest = _years_before(on, age)
    while age_on(latest, on) < age:
        latest -= one
    while age_on(latest + one, on) == age:
        latest += one
    earliest = _years_before(on, age + 1)
    while age_on(earliest, on) > age:
        earliest += one
    while age_on(earliest - one, on) == age:
        earliest -= one
    return earliest, latest


def _birth_dates(on: date, boundary: bool) -> st.SearchStrategy[date]:
    """Birth dates giving an age within the ``age`` field's bounds on ``on``."""

    @st.composite
    def birth_date(draw: st.DrawFn) -> date:
        age = draw(_ints("age", boundary))
        earliest, latest = _birth_range(on, age)
        span = (latest - earliest).days
        offsets = st.integers(min_value=0, max_value=span)
        if boundary:
            # the birthday itself (just turned ``age``) and the day before the next one
            offsets = st.one_of(offsets, st.sampled_from([0, span]))
        born = latest - timedelta(days=draw(offsets))
        if boundary and draw(st.integers(min_value=0, max_value=9)) == 0:
            leap = [
                date(y, 2, 29)
                for y in range(earliest.year, latest.year + 1)
                if calendar.isleap(y) and earliest <= date(y, 2, 29) <= latest
            ]
            if leap:
                born = leap[0]
        return born

    return birth_date()


def _enum_members(enum_type: type[enum.Enum]) -> list[enum.Enum]:
    return list(enum_type)


def _set_values(name: str, boundary: bool) -> st.SearchStrategy[frozenset[Any]]:
    enum_type = FACTS[name].enum_type
    if enum_type is None:
        free_text = (
            st.text(alphabet=_FREE_TEXT, min_size=1, max_size=30).map(str.strip).filter(bool)
        )
        return st.frozensets(st.one_of(st.sampled_from(_MEASURES), free_text), max_size=4)
    members = _enum_members(enum_type)
    values = st.frozensets(st.sampled_from(members))
    if not boundary:
        return values
    return st.one_of(values, st.sampled_from([frozenset(), frozenset(members)]))


def _eortc(boundary: bool) -> st.SearchStrategy[list[int]]:
    values = st.builds(
        lambda items, last: [*items, last],
        st.lists(
            st.integers(min_value=1, max_value=4),
            min_size=EORTC_ITEMS - 1,
            max_size=EORTC_ITEMS - 1,
        ),
        st.integers(min_value=1, max_value=7),
    )
    if not boundary:
        return values
    lowest = [1] * EORTC_ITEMS
    highest = [4] * (EORTC_ITEMS - 1) + [7]
    return st.one_of(values, st.sampled_from([lowest, highest]))


def _codes(name: str) -> st.SearchStrategy[str]:
    """ICD-10-like codes (``C34``, ``J44.1``, ``I50.23``), built from digits and letters
    drawn directly (no regular expression: fast from the first example on)."""
    letters = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    suffix = st.none() | st.integers(min_value=0, max_value=99).map(lambda n: f".{n}")
    codes = st.builds(
        lambda letter, n, tail: f"{letter}{n:02d}{tail or ''}",
        letters,
        st.integers(min_value=0, max_value=99),
        suffix,
    )
    limit = _max_length(name)
    return codes if limit is None else codes.filter(lambda c: len(c) <= limit)


def fact_values(
    name: str, *, on: date | None = None, boundary: bool = False
) -> st.SearchStrategy[Any]:
    """Valid recorded values of one fact, as its :data:`~visitation.facts.FACTS` entry says.

    Integers stay within the field's ``ge``/``le`` bounds; dates lie around ``on`` (up to
    three years before, a month after; never after ``on`` for the dates the evaluator
    refuses after the evaluation date, ``"not-after-on"`` in
    :data:`~visitation.facts.CONSISTENCY`); ``birth_date`` gives an age within the bounds of
    ``age`` on ``on``; enums and sets draw from the vocabulary (sets as frozensets);
    ``eortc_items`` is a list of 15 scores (items 1-14 in 1..4, item 15 in 1..7);
    ``diagnosis_code`` is a short ICD-10-like code. With ``boundary=True`` the edges are
    drawn often: :data:`BOUNDARY_AGES`, dates :data:`BOUNDARY_DAYS` days before ``on``,
    birthdays falling on ``on``, 29 February birthdays, empty and full sets, the lowest
    and highest scores.

    >>> from hypothesis import find
    >>> find(fact_values("age", boundary=True), lambda a: a >= 18)
    18
    >>> find(fact_values("eortc_items"), lambda items: True)
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    """
    _check_names([name], "fact_values")
    day = DEFAULT_ON if on is None else on
    spec = FACTS[name]
    if name == "birth_date":
        return _birth_dates(day, boundary)
    match spec.kind:
        case "bool":
            return st.booleans()
        case "int":
            return _ints(name, boundary)
        case "date":
            return _dates(day, boundary, future=name not in _NOT_AFTER_ON)
        case "enum":
            assert spec.enum_type is not None
            return st.sampled_from(_enum_members(spec.enum_type))
        case "set":
            return _set_values(name, boundary)
        case "scores":
            return _eortc(boundary)
        case "text":
            return _codes(name)
    raise AssertionError(f"no strategy for facts of kind {spec.kind}")  # pragma: no cover


# --------------------------------------------------------------------------------------
# Whole patients
# --------------------------------------------------------------------------------------


def _recorded_facts(patient: Patient) -> dict[str, Any]:
    return {name: getattr(patient, name) for name in FACTS if getattr(patient, name) is not None}


def _as_patient(patient: Patient | Mapping[str, Any]) -> Patient:
    return patient if isinstance(patient, Patient) else Patient.model_validate(patient)


def patients(
    *,
    on: date = DEFAULT_ON,
    missing: MissingSpec = "any",
    require: RequireSpec = (),
    diagnosis_groups: Collection[DiagnosisGroup | str] | None = None,
    age_from: AgeFrom = "either",
    boundary: bool = True,
    **fixed: Any,
) -> st.SearchStrategy[Patient]:
    """Valid patients with facts recorded and unrecorded as the knobs say.

    ``missing`` says which facts are left unrecorded: ``"any"`` (each fact independently
    recorded or not, shrinking towards unrecorded), a probability in [0, 1] for each fact,
    or a collection of fact names that are always ``None`` (the others as with ``"any"``).
    ``require`` names facts that are always recorded, or ``"all"`` for every fact not named
    in ``missing``. ``diagnosis_groups`` restricts the disease group when it is recorded.
    ``age_from`` says whether the age is given as ``age``, as ``birth_date`` or as either
    (never both); requiring ``age`` is met by a birth date too, and ``age`` in ``missing``
    leaves both unrecorded. ``boundary`` draws edge values often (see :func:`fact_values`).
    Keyword arguments naming facts pin them: ``prognosis="weeks"``, ``incurable=None``.

    Contradictory knobs (a fact both required and missing, an unknown fact name, a pinned
    value the model rejects) raise ``ValueError`` at once, not while drawing.

    >>> from hypothesis import find
    >>> p = find(patients(require={"age"}, age_from="age", prognosis="weeks"), lambda p: True)
    >>> p.age, p.prognosis.value, p.incurable
    (0, 'weeks', None)
    """
    _check_names(fixed, "patients() pinned fact")
    always_missing: set[str] = {name for name, value in fixed.items() if value is None}
    pinned = {name: value for name, value in fixed.items() if value is not None}
    probability: float | None = None
    if isinstance(missing, str):
        if missing != "any":
            raise ValueError(
                f"missing={missing!r}: give 'any', a probability or a collection of fact names"
            )
    elif isinstance(missing, float | int):
        if not 0 <= missing <= 1:
            raise ValueError(f"missing={missing!r}: a probability lies between 0 and 1")
        probability = float(missing)
    else:
        _check_names(missing, "patients(missing=...)")
        always_missing.update(missing)
    require_all = isinstance(require, str)
    if isinstance(require, str):
        if require != "all":
            raise ValueError(f"require={require!r}: give 'all' or a collection of fact names")
        required: set[str] = set()
    else:
        _check_names(require, "patients(require=...)")
        required = set(require)
    if age_from not in ("age", "birth_date", "either"):
        raise ValueError(f"age_from={age_from!r}: give 'age', 'birth_date' or 'either'")

    clash = (required | set(pinned)) & always_missing
    if clash:
        raise ValueError(f"facts both required (or pinned) and missing: {', '.join(sorted(clash))}")
    try:
        Patient.model_validate(pinned)
    except ValidationError as exc:
        raise ValueError(f"patients(): pinned facts are not valid: {exc}") from None

    groups: list[DiagnosisGroup] | None = None
    if diagnosis_groups is not None:
        groups = sorted({DiagnosisGroup(g) for g in diagnosis_groups})
        if not groups:
            raise ValueError("diagnosis_groups: give at least one group (or None for any)")
        group = pinned.get("diagnosis_group")
        if group is not None and DiagnosisGroup(group) not in groups:
            raise ValueError(f"pinned diagnosis_group {group!r} is not in diagnosis_groups")

    # --- the age slot: age or birth date, never both ------------------------------------
    carriers = [f for f in _AGE_FACTS if age_from in (f, "either")]
    pinned_age = [f for f in _AGE_FACTS if f in pinned]
    if pinned_age:
        if len(pinned_age) == 2:
            raise ValueError("pin 'age' or 'birth_date', not both")
        if pinned_age[0] not in carriers:
            raise ValueError(f"pinned {pinned_age[0]} contradicts age_from={age_from!r}")
        carriers = pinned_age
    if "age" in always_missing:
        carriers = []
    carriers = [f for f in carriers if f not in always_missing]
    if "birth_date" in required:
        if "birth_date" not in carriers:
            raise ValueError(f"birth_date is required but age_from={age_from!r} or missing")
        carriers = ["birth_date"]
    age_required = (
        bool(pinned_age) or bool(required & set(_AGE_FACTS)) or (require_all and bool(carriers))
    )
    if age_required and not carriers:
        raise ValueError("the age is required but neither 'age' nor 'birth_date' may carry it")

    strategies: dict[str, st.SearchStrategy[Any]] = {
        name: fact_values(name, on=on, boundary=boundary) for name in FACTS
    }
    if groups is not None:
        strategies["diagnosis_group"] = st.sampled_from(groups)

    def is_recorded(draw: st.DrawFn, name: str) -> bool:
        if name in required or (require_all and name not in always_missing):
            return True
        if name in always_missing:
            return False
        if probability is None:
            return draw(st.booleans())  # shrinks towards False: not recorded
        if probability in (0.0, 1.0):
            return probability == 0.0
        return draw(st.integers(min_value=0, max_value=9999)) >= round(probability * 10000)

    @st.composite
    def patient(draw: st.DrawFn) -> Patient:
        values: dict[str, Any] = {}
        for name in FACTS:
            if name in _AGE_FACTS:
                continue
            if name in pinned:
                values[name] = pinned[name]
            elif is_recorded(draw, name):
                values[name] = draw(strategies[name])
        if pinned_age:
            values[pinned_age[0]] = pinned[pinned_age[0]]
        elif carriers and (age_required or is_recorded(draw, "age")):
            carrier = carriers[0] if len(carriers) == 1 else draw(st.sampled_from(carriers))
            values[carrier] = draw(strategies[carrier])
        return Patient(**_consistent(values, pinned))

    return patient()


def complete_patients(
    *,
    on: date = DEFAULT_ON,
    diagnosis_groups: Collection[DiagnosisGroup | str] | None = None,
    age_from: AgeFrom = "either",
    boundary: bool = True,
    **fixed: Any,
) -> st.SearchStrategy[Patient]:
    """Patients with every fact recorded (the age as ``age`` or as ``birth_date``).

    The knobs are those of :func:`patients`.

    >>> from hypothesis import find
    >>> p = find(complete_patients(age_from="birth_date"), lambda p: True)
    >>> p.age is None and p.birth_date is not None and p.prognosis is not None
    True
    """
    return patients(
        on=on,
        require="all",
        diagnosis_groups=diagnosis_groups,
        age_from=age_from,
        boundary=boundary,
        **fixed,
    )


_DATE_CHAIN = tuple(dict.fromkeys(name for pair in DATE_ORDER for name in pair))
"""The dates that must come in order (sent ≤ received ≤ first contact)."""
assert tuple(itertools.pairwise(_DATE_CHAIN)) == DATE_ORDER, DATE_ORDER


def _consistent(values: dict[str, Any], fixed: Collection[str]) -> dict[str, Any]:
    """Make drawn facts agree with each other as :class:`Patient` requires, changing only
    facts that are not ``fixed`` (recorded before, or pinned). Dates of the referral chain
    are clamped between the fixed ones and put in order; a false flag beside a fact it
    excludes (``"excludes"`` in :data:`~visitation.facts.CONSISTENCY`: a date, or
    ``gp_agrees: true`` beside ``gp_informed: false``) turns true (or, when the flag is
    fixed, a date is left unrecorded and ``gp_agrees`` becomes false). What is recorded
    stays recorded, except for such a date."""
    present = [n for n in _DATE_CHAIN if values.get(n) is not None]
    free = [n for n in present if n not in fixed]
    if free:
        clamped = []
        for n in free:
            i = present.index(n)
            value = values[n]
            before = [values[m] for m in present[:i] if m in fixed]
            after = [values[m] for m in present[i + 1 :] if m in fixed]
            if before:
                value = max(value, max(before))
            if after:
                value = min(value, min(after))
            clamped.append(value)
        for n, value in zip(free, sorted(clamped), strict=True):
            values[n] = value
    for rule in _EXCLUDES:
        if rule.problem(values) is not None:
            if rule.first not in fixed:
                values[rule.first] = True
            elif rule.second not in fixed and rule.value is None:
                del values[rule.second]  # a date beside a false flag: not recorded
            elif rule.second not in fixed:
                values[rule.second] = not rule.value  # a GP not informed does not agree
    return values


def _age_known(facts: Mapping[str, Any]) -> bool:
    return facts.get("age") is not None or facts.get("birth_date") is not None


def refinements(
    patient: Patient | Mapping[str, Any],
    *,
    on: date = DEFAULT_ON,
    boundary: bool = True,
) -> st.SearchStrategy[Patient]:
    """Patients that keep every recorded fact of ``patient`` and record some more.

    Each unrecorded fact is independently filled with an arbitrary valid value or left
    unrecorded; an unknown age is filled as ``age`` or as ``birth_date``. The patient
    itself is among the refinements (the minimal example). This is the quantifier of the
    soundness law: a definite result never changes from a patient to its refinements.

    >>> from hypothesis import find
    >>> base = Patient(age=70)
    >>> find(refinements(base), lambda p: p.incurable is not None).age
    70
    """
    base = _as_patient(patient)
    known = _recorded_facts(base)
    open_facts = [n for n in FACTS if n not in known and n not in _AGE_FACTS]

    @st.composite
    def refinement(draw: st.DrawFn) -> Patient:
        values = dict(known)
        for name in open_facts:
            if draw(st.booleans()):
                values[name] = draw(fact_values(name, on=on, boundary=boundary))
        if not _age_known(known) and draw(st.booleans()):
            carrier = draw(st.sampled_from(_AGE_FACTS))
            values[carrier] = draw(fact_values(carrier, on=on, boundary=boundary))
        return Patient(**_consistent(values, known))

    return refinement()


def fill(
    patient: Patient | Mapping[str, Any],
    facts: Iterable[str],
    *,
    on: date = DEFAULT_ON,
    boundary: bool = True,
) -> st.SearchStrategy[Patient]:
    """``patient`` with exactly the named facts recorded, each with an arbitrary valid value.

    Facts already recorded keep their value (the result refines ``patient``); new dates
    are kept in the order :class:`Patient` requires, and a date whose yes/no fact is
    recorded as false stays unrecorded (the patient would be refused). ``age`` is
    filled only when neither ``age`` nor ``birth_date`` is recorded, and ``birth_date``
    likewise; naming both fills ``age``. This is the quantifier of the law *missing facts
    suffice*: fill the facts a pathway lists as missing and its verdict is definite.

    >>> from hypothesis import find
    >>> p = find(fill(Patient(), ["age", "incurable"]), lambda p: True)
    >>> p.age, p.incurable, p.prognosis
    (0, False, None)
    """
    base = _as_patient(patient)
    names = list(dict.fromkeys(facts))
    _check_names(names, "fill()")
    known = _recorded_facts(base)
    to_fill = [n for n in names if n not in known and n not in _AGE_FACTS]
    age_carrier = None
    if not _age_known(known):
        age_carrier = next((f for f in _AGE_FACTS if f in names), None)
    strategies = {
        name: fact_values(name, on=on, boundary=boundary)
        for name in [*to_fill, *([age_carrier] if age_carrier else [])]
    }

    @st.composite
    def filled(draw: st.DrawFn) -> Patient:
        values = dict(known)
        for name, strategy in strategies.items():
            values[name] = draw(strategy)
        return Patient(**_consistent(values, known))

    return filled()


# --------------------------------------------------------------------------------------
# Conditions and rule sets: every operator, every kind of node, definitions in definitions
# --------------------------------------------------------------------------------------

_TEXT_WORDS = ("C34.9", "J44.1", "opioid titration", "laxatives", "x")


def _words(name: str) -> st.SearchStrategy[str]:
    spec = RULE_FACTS[name]
    return st.sampled_from(spec.vocabulary) if spec.vocabulary else st.sampled_from(_TEXT_WORDS)


def _literals(name: str, op: Operator) -> st.SearchStrategy[Any]:
    """Literals of the kind the operator takes, fitting the fact, gathered at the edges."""
    spec = RULE_FACTS[name]
    match op.literal:
        case "bool":
            return st.booleans()
        case "count":
            return st.integers(min_value=0, max_value=len(spec.vocabulary) + 1 or 5)
        case "days":
            return st.sampled_from(BOUNDARY_DAYS) | st.integers(min_value=0, max_value=400)
        case "number":
            return st.integers(min_value=-1, max_value=131) | st.floats(
                min_value=-1, max_value=131, allow_nan=False
            )
        case "word":
            return _words(name)
        case "words":
            return st.lists(_words(name), min_size=1, max_size=4)
        case "scalar" | "scalars":
            one: st.SearchStrategy[Any]
            if spec.kind == "bool":
                one = st.booleans()
            elif spec.kind == "int":
                one = (
                    st.integers(min_value=0, max_value=20)
                    if op.literal == "scalars"
                    else (st.integers(min_value=-1, max_value=131))
                )
            else:
                one = _words(name)
            return st.lists(one, min_size=1, max_size=4) if op.literal == "scalars" else one
    raise AssertionError(op.literal)  # pragma: no cover


@st.composite
def _leaf(draw: st.DrawFn, facts: tuple[str, ...], operators: frozenset[str]) -> dict[str, Any]:
    name = draw(st.sampled_from(facts))
    fitting = sorted(operators_for(RULE_FACTS[name].kind) & operators)
    op = OPERATORS[draw(st.sampled_from(fitting))]
    return {"fact": name, op.key: draw(_literals(name, op))}


def conditions(
    *,
    uses: Collection[str] = (),
    facts: Collection[str] | None = None,
    operators: Collection[str] | None = None,
    max_leaves: int = 8,
) -> st.SearchStrategy[dict[str, Any]]:
    """Condition trees as a rule file writes them (plain data): leaves over ``facts`` (by
    default every fact a rule may name, derived ones included) with ``operators`` (by
    default the whole operator table), combined with ``all`` / ``any`` / ``not`` /
    ``at_least_n_of`` (``n`` from 1 to one more than the parts: never-met counts too), and
    ``use`` of the names in ``uses``. For example::

        {"any": [{"fact": "prognosis", "in": ["days", "weeks"]},
                 {"not": {"use": "d0"}}]}
    """
    names = tuple(sorted(RULE_FACTS if facts is None else facts))
    for name in names:
        if name not in RULE_FACTS:
            raise ValueError(
                f"facts: '{name}' is no fact a rule may name{did_you_mean(name, RULE_FACTS)}"
            )
    ops = frozenset(OPERATORS if operators is None else operators)
    unknown_ops = ops - set(OPERATORS)
    if unknown_ops:
        raise ValueError(f"unknown operator(s): {', '.join(sorted(unknown_ops))}")
    names = tuple(n for n in names if operators_for(RULE_FACTS[n].kind) & ops)
    if not names:
        raise ValueError("no fact fits the operators given")
    base: st.SearchStrategy[dict[str, Any]] = _leaf(names, ops)
    if uses:
        base = base | st.sampled_from([{"use": u} for u in sorted(uses)])

    def extend(parts: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        several = st.lists(parts, min_size=1, max_size=4)
        return (
            several.map(lambda p: {"all": p})
            | several.map(lambda p: {"any": p})
            | parts.map(lambda p: {"not": p})
            | several.flatmap(
                lambda p: st.integers(min_value=1, max_value=len(p) + 1).map(
                    lambda n: {"at_least_n_of": {"n": n, "of": p}}
                )
            )
        )

    return st.recursive(base, extend, max_leaves=max_leaves)


@st.composite
def rule_sets(
    draw: st.DrawFn,
    *,
    facts: Collection[str] | None = None,
    operators: Collection[str] | None = None,
    max_rules: int = 5,
    max_definitions: int = 2,
    max_indicators: int = 2,
    max_leaves: int = 8,
) -> RuleSet:
    """Rule sets with generated conditions: up to ``max_definitions`` definitions (each may
    use the earlier ones), 1 to ``max_rules`` rules in groups ``g1`` and ``g2``, pathways
    ``one`` (requires g1) and ``both`` (g1 and g2), and up to ``max_indicators`` indicators.

    They are valid rule-file models but not necessarily valid under the checker (a rule
    may never be met, or use ``recorded``): compile them with
    :func:`visitation.compile_ruleset`, which does not check. Made for backend agreement
    tests (law 7: every backend equals the reference on generated rule sets and patients).
    """
    kw: dict[str, Any] = {"facts": facts, "operators": operators, "max_leaves": max_leaves}
    definitions: dict[str, Any] = {}
    for i in range(draw(st.integers(min_value=0, max_value=max_definitions))):
        definitions[f"d{i}"] = draw(conditions(uses=list(definitions), **kw))
    texts = {"met": {"en": "met"}, "not_met": {"en": "not met"}, "unknown": {"en": "unknown"}}

    def rule(i: int, group: str, when: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"{group}.r{i}", "group": group, "title": {"en": f"r{i}"}, "when": when,
            "explain": texts, "source": {"ref": "s", "section": str(i)},
            "provenance": "published",
        }  # fmt: skip

    whens = draw(st.lists(conditions(uses=list(definitions), **kw), min_size=1, max_size=max_rules))
    groups = [draw(st.sampled_from(["g1", "g2"])) for _ in whens]
    indicators = draw(st.lists(conditions(uses=list(definitions), **kw), max_size=max_indicators))
    return RuleSet.model_validate(
        {
            "format": 1, "family": "generated", "version": "1.0.0", "status": "draft",
            "effective_from": "2020-01-01", "publisher": "tests", "title": {"en": "generated"},
            "languages": ["en"],
            "sources": [{"id": "s", "title": "s", "publisher": "tests"}],
            "pathways": {
                "one": {"title": {"en": "one"}, "requires": ["g1"]},
                "both": {"title": {"en": "both"}, "requires": ["g1", "g2"]},
            },
            "definitions": definitions,
            "rules": [rule(i, g, w) for i, (g, w) in enumerate(zip(groups, whens, strict=True))],
            "indicators": [rule(i, "m", w) for i, w in enumerate(indicators)],
            "changes": [{"version": "1.0.0", "date": "2026-11-23", "summary": "generated"}],
        }
    )  # fmt: skip
