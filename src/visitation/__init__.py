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
from visitation._pydantic_errors import diagnostics_from_validation
from visitation._version import __version__
from visitation._yaml import YamlDocument, load_yaml, read_source
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
    suggest,
)
from visitation.evaluate import CoreResult, evaluate, evaluate_core
from visitation.explain import format_value
from visitation.explanation import Explainer, explain
from visitation.fact_labels import fact_label
from visitation.facts import CONSISTENCY, FACTS, RULE_FACTS, FactSpec, Patient, check_on, facts_of
from visitation.load import check_file, check_text, load_ruleset_file
from visitation.logic import interpreter, json_value
from visitation.operators import BACKENDS, OPERATORS, Operator, typed_literal
from visitation.registry import (
    RULES_PATH_ENV,
    Library,
    RuleSetInfo,
    compiled,
    default_library,
    list_rulesets,
    load_ruleset,
    resolve,
    rules_path,
)
from visitation.revise import revise, revise_in_place
from visitation.ruleset import Condition, Leaf, Rule, RuleSet
from visitation.why_not import FactChange, Suggestion, WhyNot, why_not

__all__ = [
    "BACKENDS",
    "CONSISTENCY",
    "FACTS",
    "OPERATORS",
    "RULES_PATH_ENV",
    "RULE_FACTS",
    "Algebra",
    "Assessment",
    "CheckedRuleSet",
    "Code",
    "CompiledRuleSet",
    "Condition",
    "CoreResult",
    "Diagnostic",
    "Explainer",
    "FactChange",
    "FactSpec",
    "Leaf",
    "Library",
    "NoRuleSetInForce",
    "Operator",
    "PathwayResult",
    "Patient",
    "PatientFileError",
    "Program",
    "Rule",
    "RuleFileError",
    "RuleResult",
    "RuleSet",
    "RuleSetInfo",
    "SourceCitation",
    "Span",
    "Suggestion",
    "UnknownRuleSet",
    "VisitationError",
    "WhyNot",
    "YamlDocument",
    "__version__",
    "check_file",
    "check_on",
    "check_text",
    "checked",
    "compile_ruleset",
    "compiled",
    "content_hash",
    "default_library",
    "diagnostics_from_validation",
    "evaluate",
    "evaluate_core",
    "explain",
    "fact_label",
    "facts_of",
    "facts_read",
    "fold",
    "format_value",
    "interpreter",
    "json_value",
    "list_rulesets",
    "load_patient",
    "load_ruleset",
    "load_ruleset_file",
    "load_yaml",
    "read_source",
    "resolve",
    "revise",
    "revise_in_place",
    "rules_path",
    "suggest",
    "typed_literal",
    "why_not",
]
