"""A CDS Hooks 2.0 service: the referral criteria as cards in the EHR.

When a doctor opens a patient's chart (``patient-view``) or drafts a referral to a
palliative team or unit or a hospice (``order-select``, ``order-sign``), the EHR calls the
service, which reads the prefetched FHIR R4 resources (:mod:`visitation.fhir`), evaluates
the configured rule sets and answers with cards: in Danish by default, whether the
criteria are met, what is missing and what to do before sending. Feedback (accepted,
overridden with a reason) is kept in SQLite without patient identifiers.

Needs the extra: ``pip install 'visitation[service]'``. Run it with ``visitation serve``;
see docs/cds-hooks.md.
"""

from __future__ import annotations

try:
    import httpx  # noqa: F401
    import jwt  # noqa: F401
    import orjson  # noqa: F401
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError(
        f"visitation.service needs the 'service' extra ({exc.name} is missing): "
        "pip install 'visitation[service]'"
    ) from exc

from visitation.service._app import LANGUAGE_EXTENSION, SERVICES, create_app
from visitation.service._cards import (
    OVERRIDE_REASONS,
    OVERRIDE_SYSTEM,
    SUMMARY_MAX,
    CardOptions,
    cards,
    indicator,
    render_cards,
)
from visitation.service._config import ConfigError, ServiceConfig, load_config
from visitation.service._prefetch import PREFETCH, prefetch_of
from visitation.service._schema import DISCOVERY, RESPONSE, openapi
from visitation.service._store import summary

__all__ = [
    "DISCOVERY",
    "LANGUAGE_EXTENSION",
    "OVERRIDE_REASONS",
    "OVERRIDE_SYSTEM",
    "PREFETCH",
    "RESPONSE",
    "SERVICES",
    "SUMMARY_MAX",
    "CardOptions",
    "ConfigError",
    "ServiceConfig",
    "cards",
    "create_app",
    "indicator",
    "load_config",
    "openapi",
    "prefetch_of",
    "render_cards",
    "summary",
]
