"""visitation: the Danish referral guideline for specialized palliative care, as data.

Versioned YAML rule files, a pure three-valued evaluator that explains every verdict,
and renderers for terminals, notebooks and EHR integrations.

    >>> import visitation
    >>> a = visitation.evaluate({"age": 70, "prognosis": "weeks"}, "dk-national@1.0.0",
    ...                         on="2026-11-23")
    >>> a.verdicts
    {'hospice': 'indeterminate'}
"""

# the renderers register themselves with Assessment (the core does not import them)
from visitation import render as _render  # noqa: F401
from visitation._patient_io import load_patient
from visitation._version import __version__
from visitation.assessment import Assessment, PathwayResult, RuleResult, SourceCitation
from visitation.check import CheckedRuleSet, checked
from visitation.compile import CompiledRuleSet, Program, compile_ruleset, content_hash
from visitation.conditions import Algebra, facts_read, fold
from visitation.errors import (
    Code,
    Diagnostic,
    NoRuleSetInForce,
    PatientFileError,
    RuleFileError,
    Span,
    UnknownRuleSet,
    VisitationError,
)
from visitation.evaluate import CoreResult, evaluate, evaluate_core
from visitation.explanation import Explainer, explain
from visitation.facts import CONSISTENCY, FACTS, RULE_FACTS, FactSpec, Patient, check_on, facts_of
from visitation.load import check_file, check_text, load_ruleset_file
from visitation.logic import interpreter, json_value
from visitation.operators import BACKENDS, OPERATORS, Operator
from visitation.registry import (
    Library,
    RuleSetInfo,
    compiled,
    default_library,
    list_rulesets,
    load_ruleset,
    resolve,
)
from visitation.revise import revise
from visitation.ruleset import RuleSet

__all__ = [
    "BACKENDS",
    "CONSISTENCY",
    "FACTS",
    "OPERATORS",
    "RULE_FACTS",
    "Algebra",
    "Assessment",
    "CheckedRuleSet",
    "Code",
    "CompiledRuleSet",
    "CoreResult",
    "Diagnostic",
    "Explainer",
    "FactSpec",
    "Library",
    "NoRuleSetInForce",
    "Operator",
    "PathwayResult",
    "Patient",
    "PatientFileError",
    "Program",
    "RuleFileError",
    "RuleResult",
    "RuleSet",
    "RuleSetInfo",
    "SourceCitation",
    "Span",
    "UnknownRuleSet",
    "VisitationError",
    "__version__",
    "check_file",
    "check_on",
    "check_text",
    "checked",
    "compile_ruleset",
    "compiled",
    "content_hash",
    "default_library",
    "evaluate",
    "evaluate_core",
    "explain",
    "facts_of",
    "facts_read",
    "fold",
    "interpreter",
    "json_value",
    "list_rulesets",
    "load_patient",
    "load_ruleset",
    "load_ruleset_file",
    "resolve",
    "revise",
]
