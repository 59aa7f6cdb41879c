"""JSON Schemas of the CDS Hooks 2.0.1 responses, and the service's OpenAPI document.

The spec publishes tables, not a JSON Schema; these schemas are written from the tables of
HL7/cds-hooks v2.0.1 ``input/pagecontent/index.md`` ("Discovery: Response", "CDS Service
Response", "Card Attributes", "Source", "Suggestion", "Action", "Link", "Coding") and the
3.0 ballot invariants that 2.0 text states too (cds-resp-4: override reasons need a
``display``; cds-resp-5: actions need a ``description``; cds-resp-6: suggestions need
``selectionBehavior``). The tests validate every card against :data:`RESPONSE`.
"""

from __future__ import annotations

from typing import Any, Final

from visitation.service._models import CdsRequest, Feedback

__all__ = ["DISCOVERY", "PROBLEM", "RESPONSE", "openapi"]

_URL: Final = {"type": "string", "pattern": "^https?://"}

_CODING: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "system": {"type": "string"},
        "display": {"type": "string"},
    },
}

_ACTION: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["type", "description"],
    "properties": {
        "type": {"enum": ["create", "update", "delete"]},
        "description": {"type": "string"},
        "resource": {"type": "object", "required": ["resourceType"]},
        "resourceId": {"type": "string"},
    },
    "allOf": [
        {
            "if": {"properties": {"type": {"enum": ["create", "update"]}}},
            "then": {"required": ["resource"]},
        }
    ],
}

_CARD: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["summary", "indicator", "source"],
    "properties": {
        "uuid": {"type": "string"},
        "summary": {"type": "string", "minLength": 1, "maxLength": 139},
        "detail": {"type": "string"},
        "indicator": {"enum": ["info", "warning", "critical"]},
        "source": {
            "type": "object",
            "required": ["label"],
            "properties": {
                "label": {"type": "string", "minLength": 1},
                "url": _URL,
                "icon": _URL,
                "topic": _CODING,
            },
        },
        "suggestions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["label"],
                "properties": {
                    "label": {"type": "string"},
                    "uuid": {"type": "string"},
                    "isRecommended": {"type": "boolean"},
                    "actions": {"type": "array", "items": _ACTION},
                },
            },
        },
        "selectionBehavior": {"enum": ["at-most-one", "any"]},
        "overrideReasons": {
            "type": "array",
            "items": {**_CODING, "required": ["display"]},
        },
        "links": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["label", "url", "type"],
                "properties": {
                    "label": {"type": "string"},
                    "url": _URL,
                    "type": {"enum": ["absolute", "smart"]},
                    "appContext": {"type": "string"},
                    "autolaunchable": {"type": "boolean"},
                },
            },
        },
    },
    "dependentRequired": {"suggestions": ["selectionBehavior"]},
}

RESPONSE: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "CDS Hooks 2.0.1 service response",
    "type": "object",
    "required": ["cards"],
    "properties": {
        "cards": {"type": "array", "items": _CARD},
        "systemActions": {"type": "array", "items": _ACTION},
    },
}
"""A CDS Service response (``{"cards": [...], "systemActions": [...]}``)."""

DISCOVERY: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "CDS Hooks 2.0.1 discovery response",
    "type": "object",
    "required": ["services"],
    "properties": {
        "services": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["hook", "description", "id"],
                "properties": {
                    "hook": {"type": "string"},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "id": {"type": "string"},
                    "prefetch": {"type": "object", "additionalProperties": {"type": "string"}},
                    "usageRequirements": {"type": "string"},
                },
            },
        }
    },
}

PROBLEM: Final[dict[str, Any]] = {
    "title": "RFC 9457 problem detail",
    "type": "object",
    "required": ["title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}},
            },
        },
    },
}


def _component(model: Any, components: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}

SUMMARY: dict[str, Any] = {
    "type": "object",
    "description": "Override rates per rule and status (``visitation feedback`` prints the same).",
    "required": ["feedback", "overridden", "unattributed", "rules"],
    "additionalProperties": False,
    "properties": {
        "feedback": {**_COUNT, "description": "feedback entries stored"},
        "overridden": {**_COUNT, "description": "of them, overridden"},
        "unattributed": {**_COUNT, "description": "entries whose card is not in the card log"},
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "rule",
                    "status",
                    "cards",
                    "feedback",
                    "accepted",
                    "overridden",
                    "override_rate",
                    "override_reasons",
                ],
                "additionalProperties": False,
                "properties": {
                    "rule": {"type": "string"},
                    "status": {"type": "string", "enum": ["met", "not_met", "unknown"]},
                    "cards": _COUNT,
                    "feedback": _COUNT,
                    "accepted": _COUNT,
                    "overridden": _COUNT,
                    "override_rate": {
                        "type": ["number", "null"],
                        "minimum": 0,
                        "maximum": 1,
                        "description": "overridden / feedback; null without feedback",
                    },
                    "override_reasons": {
                        "type": "object",
                        "additionalProperties": _COUNT,
                        "description": "override reason code (or '(none)') → count",
                    },
                },
            },
        },
    },
}
"""The answer of ``GET /feedback/summary``."""


def _strip(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k not in ("$schema",)}


def openapi(service_ids: list[str], title: str, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the service (served at ``/openapi.json``)."""
    components: dict[str, Any] = {
        "CdsResponse": _strip(RESPONSE),
        "Discovery": _strip(DISCOVERY),
        "Problem": PROBLEM,
        "FeedbackSummary": SUMMARY,
    }
    request = _component(CdsRequest, components)
    feedback = _component(Feedback, components)
    problem = {"$ref": "#/components/schemas/Problem"}

    def errors(*codes: int) -> dict[str, Any]:
        return {
            str(c): {
                "description": "a problem detail",
                "content": {"application/problem+json": {"schema": problem}},
            }
            for c in codes
        }

    sid = {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "enum": service_ids},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": {
            "/cds-services": {
                "get": {
                    "operationId": "discovery",
                    "responses": {
                        "200": {
                            "description": "the CDS Services",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Discovery"}
                                }
                            },
                        },
                        **errors(401),
                    },
                }
            },
            "/cds-services/{id}": {
                "post": {
                    "operationId": "call",
                    "parameters": [sid],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": request}},
                    },
                    "responses": {
                        "200": {
                            "description": "cards",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/CdsResponse"}
                                }
                            },
                        },
                        **errors(400, 401, 404, 412, 413, 415, 422),
                    },
                }
            },
            "/cds-services/{id}/feedback": {
                "post": {
                    "operationId": "feedback",
                    "parameters": [sid],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": feedback}},
                    },
                    "responses": {
                        "200": {
                            "description": "stored",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["stored"],
                                        "properties": {"stored": {"type": "integer"}},
                                    }
                                }
                            },
                        },
                        **errors(400, 401, 404, 413, 415, 422),
                    },
                }
            },
            "/feedback/summary": {
                "get": {
                    "operationId": "feedbackSummary",
                    "responses": {
                        "200": {
                            "description": "override rates per rule and status",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/FeedbackSummary"}
                                }
                            },
                        },
                        **errors(401),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "responses": {
                        "200": {
                            "description": "the service is up",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {"schemas": components},
    }
