"""The CDS Hooks 2.0 service as a Starlette application.

Endpoints (CDS Hooks 2.0.1): ``GET /cds-services`` (discovery), ``POST /cds-services/{id}``
for ``patient-view``, ``order-select`` and ``order-sign``, ``POST /cds-services/{id}/feedback``;
beside them ``GET /feedback/summary`` (override rates per rule), ``GET /openapi.json``,
``GET /rulesets/{family}/{version}`` (the rule set's readable view) and ``GET /healthz``.

Every error is an RFC 9457 problem detail (``application/problem+json``) without a stack
trace; the log has one line per request (method, route, status, time) and never the body.
"""

from __future__ import annotations

import asyncio
import gc
import html
import json
import logging
import time
import zoneinfo
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

import visitation
from visitation import Assessment, Code, NoRuleSetInForce, UnknownRuleSet, VisitationError
from visitation import fhir as vfhir
from visitation.service._auth import (
    AuthError,
    MemoryReplayCache,
    ReplayCache,
    SqliteReplayCache,
    Verifier,
)
from visitation.service._cache import AnswerCache, answer_key, answer_of, encode
from visitation.service._cards import CardOptions, Hook, cards
from visitation.service._config import ServiceConfig
from visitation.service._draft import service_mapping, with_drafts
from visitation.service._json import loads
from visitation.service._models import (
    CdsRequest,
    Feedback,
    OrderSelectContext,
    OrderSignContext,
    PatientViewContext,
)
from visitation.service._prefetch import (
    PREFETCH,
    BadPrefetch,
    FhirAccess,
    PreconditionFailed,
    complete,
    gather,
)
from visitation.service._schema import openapi
from visitation.service._store import CardRecord, FeedbackEntry, FeedbackStore, summary

__all__ = ["SERVICES", "Problem", "create_app"]

log = logging.getLogger("visitation.service")

LANGUAGE_EXTENSION = "dk.visitation.language"
"""A request ``extension`` key choosing the cards' language (``da`` or ``en``)."""

TIMEZONE = zoneinfo.ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True, slots=True)
class ServiceDef:
    """One CDS Service of discovery."""

    id: str
    hook: Hook
    title: str
    description: str
    context: type[PatientViewContext]


SERVICES: tuple[ServiceDef, ...] = (
    ServiceDef(
        "visitation-patient-view",
        "patient-view",
        "Visitation til specialiseret palliation: kriterierne",
        "The patient's verdict per pathway (specialized palliative team or unit, hospice) "
        "under the configured rule sets, with what is missing.",
        PatientViewContext,
    ),
    ServiceDef(
        "visitation-order-select",
        "order-select",
        "Henvisning til palliativt team, enhed eller hospice: kriterierne",
        "For a selected draft ServiceRequest to a palliative team or unit or a hospice: "
        "the verdict for that pathway, the blocking criteria and what to do before sending.",
        OrderSelectContext,
    ),
    ServiceDef(
        "visitation-order-sign",
        "order-sign",
        "Henvisning til palliativt team, enhed eller hospice: før afsendelse",
        "For a draft ServiceRequest to a palliative team or unit or a hospice about to be "
        "signed: the verdict for that pathway, the blocking criteria and the to-do list.",
        OrderSignContext,
    ),
)


class Problem(Exception):
    """An HTTP error answered as a problem detail."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers
        super().__init__(title)

    def response(self) -> Response:
        body: dict[str, Any] = {"type": "about:blank", "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if self.errors:
            body["errors"] = self.errors
        return Response(
            json.dumps(body, ensure_ascii=False),
            status_code=self.status,
            media_type="application/problem+json",
            headers=self.headers,
        )


def _pointer(loc: tuple[Any, ...], prefix: str = "") -> str:
    return prefix + "".join(f"/{p}" for p in loc)


def _invalid(exc: ValidationError, prefix: str = "") -> Problem:
    errors = [
        {"pointer": _pointer(tuple(e["loc"]), prefix), "detail": e["msg"]}
        for e in exc.errors(include_url=False, include_input=False)
    ][:50]
    return Problem(
        422,
        "Invalid request",
        "the request does not match the CDS Hooks 2.0.1 schema for this service",
        errors,
    )


def _today() -> date:
    return datetime.now(TIMEZONE).date()


class _App:
    """The state behind the routes: configuration, verifier, store, HTTP client."""

    def __init__(self, config: ServiceConfig, clock: Callable[[], date]) -> None:
        self.config = config
        self.clock = clock
        self.http = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=50), trust_env=False, follow_redirects=False
        )
        self.store = FeedbackStore(config.database)
        replay: ReplayCache
        if config.workers > 1:  # one cache for every worker process
            replay = SqliteReplayCache(config.database.with_suffix(".jti.sqlite3"))
        else:
            replay = MemoryReplayCache(config.auth.replay_cache_size)
        self.replay = replay
        self.verifier = Verifier(config.auth, replay, http=self.http)
        self.services = {s.id: s for s in SERVICES}
        self.mapping = service_mapping(config.orders)
        lim = config.limits
        self.cache = AnswerCache(lim.answer_cache_entries, lim.answer_cache_seconds)
        self.base = config.public_base
        self.ruleset_url = config.ruleset_url or (self.base + "/rulesets/{family}/{version}")
        self.openapi = openapi(
            list(self.services), "visitation CDS Hooks service", visitation.__version__
        )
        self._programs: dict[tuple[str, date], tuple[float, visitation.CompiledRuleSet]] = {}
        for spec in config.rulesets:  # fail at start, not on the first request
            visitation.resolve(spec, clock())

    def program(self, spec: str, day: date) -> visitation.CompiledRuleSet:
        """The compiled rule set of ``spec`` on ``day``, resolved once a minute at most (a
        look-up per request instead of the library's file checks; a rule file rewritten in
        place is read again within a minute)."""
        now = time.monotonic()
        found = self._programs.get((spec, day))
        if found is not None and found[0] > now:
            return found[1]
        program = visitation.resolve(spec, day)  # NoRuleSetInForce, UnknownRuleSet: not kept
        if len(self._programs) >= 64:
            self._programs.clear()
        self._programs[(spec, day)] = (now + 60.0, program)
        return program

    async def auth(self, request: Request) -> None:
        if not self.config.auth.required:
            return
        audience = self.base + request.url.path
        try:
            await self.verifier.verify(request.headers.get("authorization"), audience)
        except AuthError as exc:
            log.info("authentication refused: %s", exc.reason)
            raise Problem(
                401,
                "Unauthorized",
                headers={"WWW-Authenticate": 'Bearer realm="cds-services", error="invalid_token"'},
            ) from None

    async def body(self, request: Request) -> tuple[Any, bool]:
        """The parsed JSON body, and whether it is ``exact`` (``_json.loads``)."""
        ctype = request.headers.get("content-type", "")
        if ctype.split(";")[0].strip().lower() not in ("application/json", "application/fhir+json"):
            raise Problem(415, "Unsupported media type", "send the request as application/json")
        limit = self.config.limits.max_body_bytes
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise Problem(413, "Request too large", f"the body is over {limit} bytes")
        raw = bytearray()
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > limit:
                raise Problem(413, "Request too large", f"the body is over {limit} bytes")
        try:
            return loads(bytes(raw))
        except UnicodeDecodeError:
            raise Problem(400, "Malformed JSON", "the body is not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise Problem(
                400, "Malformed JSON", f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
            ) from None
        except ValueError as exc:
            raise Problem(400, "Malformed JSON", str(exc)) from None
        except RecursionError:
            raise Problem(400, "Malformed JSON", "the JSON is nested too deeply") from None

    def service(self, request: Request) -> ServiceDef:
        sid = request.path_params["id"]
        found = self.services.get(sid)
        if found is None:
            raise Problem(
                404,
                "Unknown CDS Service",
                f"there is no service {sid!r}; GET /cds-services lists them",
            )
        return found


def _lang(req: CdsRequest, default: str) -> str:
    ext = req.extension or {}
    value = ext.get(LANGUAGE_EXTENSION)
    if value is None:
        return default
    if value not in ("da", "en"):
        raise Problem(
            422,
            "Invalid request",
            errors=[
                {
                    "pointer": f"/extension/{LANGUAGE_EXTENSION}",
                    "detail": "a language is 'da' or 'en'",
                }
            ],
        )
    return str(value)


def _order_pathways(
    ctx: OrderSignContext, selections: list[str] | None, orders: dict[str, str]
) -> tuple[list[str], list[dict[str, Any]]]:
    """The pathways the draft ServiceRequests are referrals for, in order, once each, and
    those drafts."""
    out: list[str] = []
    drafts: list[dict[str, Any]] = []
    for k, entry in enumerate(ctx.draftOrders.get("entry", [])):
        res = entry.get("resource")
        if not isinstance(res, dict) or res.get("resourceType") != "ServiceRequest":
            continue
        ref = f"ServiceRequest/{res.get('id')}"
        if selections is not None and ref not in selections:
            continue
        code = res.get("code")
        pointer = f"/context/draftOrders/entry/{k}/resource/code"
        if code is None:
            continue
        if not isinstance(code, dict):
            raise Problem(
                422,
                "Invalid request",
                errors=[{"pointer": pointer, "detail": "ServiceRequest.code is a CodeableConcept"}],
            )
        if "concept" in code or "reference" in code:
            raise Problem(
                422,
                "FHIR R5 resource",
                "send FHIR R4 resources",
                [
                    {
                        "pointer": pointer,
                        "detail": "a CodeableReference is FHIR R5; R4 has a CodeableConcept",
                    }
                ],
            )
        codings = code.get("coding", [])
        if not isinstance(codings, list):
            raise Problem(
                422,
                "Invalid request",
                errors=[
                    {"pointer": pointer + "/coding", "detail": "coding is an array of Codings"}
                ],
            )
        found = [
            orders[key]
            for c in codings
            if isinstance(c, dict) and (key := f"{c.get('system')}|{c.get('code')}") in orders
        ]
        if found:
            drafts.append(res)
        out += [p for p in dict.fromkeys(found) if p not in out]
    return out, drafts


def _fhir_problem(exc: vfhir.FhirInputError) -> Problem:
    """422 for prefetch data the FHIR reader refused; each error names entry and element."""
    errors = [
        {"pointer": "/prefetch", "detail": f"{d.code.value}: {d.message}"}
        for d in exc.diagnostics[:50]
    ]
    if any(d.code is Code.FHIR_VERSION for d in exc.diagnostics):
        return Problem(422, "FHIR R5 resource", "the service reads FHIR R4 resources", errors)
    return Problem(422, "Unreadable FHIR data", "the prefetch could not be read as FHIR R4", errors)


def create_app(config: ServiceConfig, *, clock: Callable[[], date] | None = None) -> ASGIApp:
    """The ASGI application for ``config``; ``clock`` gives the evaluation date (default:
    ``config.evaluation_date`` if set, else today in Denmark)."""
    if clock is None:
        fixed = config.evaluation_date
        clock = _today if fixed is None else (lambda: fixed)
    state = _App(config, clock)

    async def discovery(request: Request) -> Response:
        await state.auth(request)
        return JSONResponse(
            {
                "services": [
                    {
                        "hook": s.hook,
                        "title": s.title,
                        "description": s.description,
                        "id": s.id,
                        "prefetch": dict(PREFETCH),
                        "usageRequirements": (
                            "Needs the prefetch, or fhirServer with fhirAuthorization; "
                            "FHIR R4 (dk-core) resources."
                        ),
                    }
                    for s in SERVICES
                ]
            }
        )

    async def call(request: Request) -> Response:
        await state.auth(request)  # first: an unknown id tells nothing to a stranger
        svc = state.service(request)
        data, exact = await state.body(request)
        if not isinstance(data, dict):
            raise Problem(400, "Not a CDS Hooks request", "the body is a JSON object")
        try:
            req = CdsRequest.model_validate(data)
        except ValidationError as exc:
            raise _invalid(exc) from None
        if req.hook != svc.hook:
            raise Problem(
                400,
                "Wrong hook",
                f"service {svc.id!r} answers the hook {svc.hook!r}, not {req.hook[:60]!r}",
            )
        try:
            ctx = svc.context.model_validate(req.context)
        except ValidationError as exc:
            raise _invalid(exc, "/context") from None
        lang = _lang(req, config.language)
        if (
            req.fhirServer is not None
            and config.fhir_servers
            and not any(req.fhirServer.startswith(s) for s in config.fhir_servers)
        ):
            raise Problem(
                422,
                "FHIR server not allowed",
                errors=[
                    {
                        "pointer": "/fhirServer",
                        "detail": "this service may not read from that FHIR server",
                    }
                ],
            )
        access = None
        if req.fhirServer is not None and req.fhirAuthorization is not None:
            lim = config.limits
            access = FhirAccess(
                req.fhirServer,
                req.fhirAuthorization.access_token,
                lim.fhir_timeout_seconds,
                lim.fhir_max_bytes,
                lim.fhir_max_pages,
            )
        try:
            data_in = await gather(req.prefetch, req.context, access, state.http)
        except BadPrefetch as exc:
            raise Problem(
                422, "Invalid prefetch", errors=[{"pointer": exc.pointer, "detail": exc.message}]
            ) from None
        except PreconditionFailed as exc:
            raise Problem(
                412,
                "Precondition Failed",
                f"the data of prefetch key {exc.key!r} cannot be had: {exc.reason}",
            ) from None
        patient = data_in.get("patient")
        if isinstance(patient, dict) and patient.get("id") not in (None, ctx.patientId):
            raise Problem(
                422,
                "Invalid prefetch",
                errors=[
                    {
                        "pointer": "/prefetch/patient/id",
                        "detail": "not the patient of context.patientId",
                    }
                ],
            )
        pathways: list[str] | None = None
        drafts: list[dict[str, Any]] = []
        if isinstance(ctx, OrderSignContext):
            selections = ctx.selections if isinstance(ctx, OrderSelectContext) else None
            pathways, drafts = _order_pathways(ctx, selections, config.orders)
            if not pathways:
                return JSONResponse({"cards": []})
        day = state.clock()
        key = None
        # the answer follows from the request when nothing was fetched from fhirServer
        if state.cache.entries and complete(req.prefetch):
            hashes = []
            for spec in config.rulesets:
                try:
                    hashes.append(state.program(spec, day).content_hash)
                except (NoRuleSetInForce, UnknownRuleSet):
                    hashes.append("-")
            try:
                key = answer_key([svc.id, lang, day, hashes, req.context, data_in], exact=exact)
            except (TypeError, ValueError):  # never expected: parsed JSON is writable
                key = None
        if key is not None:
            kept = state.cache.get(key)
            if kept is not None:
                body, again = kept.render(datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
                state.store.log_cards(again)
                return Response(body, media_type="application/json")
        present = {k: v for k, v in data_in.items() if v is not None}
        if not present:
            present = {"patient": {"resourceType": "Patient", "id": ctx.patientId}}
        if pathways is not None:  # the draft referral is the referral under decision
            present = with_drafts(
                present, drafts, state.mapping.referral_codes, state.mapping.received_extension
            )
        try:
            extraction = vfhir.facts_from_bundle(
                present, on=day, mapping=state.mapping, name="prefetch"
            )
        except vfhir.FhirInputError as exc:
            raise _fhir_problem(exc) from None
        out: list[dict[str, Any]] = []
        records: list[CardRecord] = []
        opts = CardOptions(
            hook=svc.hook,
            ruleset_url=state.ruleset_url,
            patient_id=ctx.patientId,
            uuids=True,
        )
        issued = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for spec in config.rulesets:
            try:
                assessment = visitation.evaluate(
                    extraction.patient, state.program(spec, day), on=day
                )
            except (NoRuleSetInForce, UnknownRuleSet):
                continue
            except VisitationError as exc:
                raise Problem(422, "Facts cannot be evaluated", str(exc)[:500]) from None
            wanted = [p.id for p in assessment.pathways]
            if pathways is not None:
                wanted = [p for p in wanted if p in pathways]
            use = lang if lang in assessment.languages else assessment.default_lang
            made = cards(assessment, lang=use, pathways=wanted, options=opts)
            out += made
            records += _records(svc, assessment, made, issued)
        state.store.log_cards(records)
        body = encode(out)
        if key is not None:
            state.cache.put(key, answer_of(body, out, records))
        return Response(body, media_type="application/json")

    async def feedback(request: Request) -> Response:
        await state.auth(request)  # first: an unknown id tells nothing to a stranger
        svc = state.service(request)
        data, _ = await state.body(request)
        if not isinstance(data, dict):
            raise Problem(400, "Not a feedback request", "the body is a JSON object")
        try:
            fb = Feedback.model_validate(data)
        except ValidationError as exc:
            raise _invalid(exc) from None
        if len(fb.feedback) > config.limits.max_feedback_items:
            raise Problem(
                413,
                "Too many feedback entries",
                f"at most {config.limits.max_feedback_items} per request",
            )
        entries = [
            FeedbackEntry(
                service=svc.id,
                card=item.card,
                outcome=item.outcome,
                reason_system=(
                    item.overrideReason.reason.system
                    if item.overrideReason and item.overrideReason.reason
                    else None
                ),
                reason_code=(
                    item.overrideReason.reason.code
                    if item.overrideReason and item.overrideReason.reason
                    else None
                ),
                has_comment=bool(item.overrideReason and item.overrideReason.userComment),
                accepted_suggestions=len(item.acceptedSuggestions or ()),
                outcome_at=item.outcomeTimestamp,
            )
            for item in fb.feedback
        ]
        await asyncio.to_thread(state.store.add_feedback, entries)
        return JSONResponse({"stored": len(entries)})

    async def feedback_summary(request: Request) -> Response:
        await state.auth(request)
        result = await asyncio.to_thread(summary, config.database)
        return JSONResponse(result)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def openapi_doc(request: Request) -> Response:
        return JSONResponse(state.openapi)

    async def ruleset_view(request: Request) -> Response:
        key = f"{request.path_params['family']}@{request.path_params['version']}"
        try:
            rs = visitation.load_ruleset(key)
        except (UnknownRuleSet, VisitationError, ValueError, OSError):
            raise Problem(404, "Unknown rule set", "GET /cds-services names none such") from None
        return HTMLResponse(_ruleset_html(rs, config.language))

    routes = [
        Route("/cds-services", discovery, methods=["GET"]),
        Route("/cds-services/{id}", call, methods=["POST"]),
        Route("/cds-services/{id}/feedback", feedback, methods=["POST"]),
        Route("/feedback/summary", feedback_summary, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
        Route("/openapi.json", openapi_doc, methods=["GET"]),
        Route("/rulesets/{family}/{version}", ruleset_view, methods=["GET"]),
    ]
    middleware = []
    if config.cors.allow_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(config.cors.allow_origins),
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type"],
            )
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        # what is loaded by now (rule sets, programs, modules) lives as long as the process:
        # out of the collector's sight, a full collection no longer walks it on every few
        # requests (each request's parsed JSON makes thousands of short-lived objects)
        gc.collect()
        gc.freeze()
        # and the youngest generation collected every 20,000 allocations instead of 700: a
        # request's objects are freed by their reference counts, not by the collector, and
        # a distinct patient-view allocates tens of thousands (2 % fewer instructions)
        before = gc.get_threshold()
        gc.set_threshold(20_000, *before[1:])
        yield
        gc.set_threshold(*before)
        await state.http.aclose()
        state.store.close()
        state.replay.close()

    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            Problem: _problem_handler,
            404: _not_found,
            405: _not_allowed,
            Exception: _crash,
        },
        lifespan=lifespan,
    )
    app.state.service = state
    return _Guard(app, config.limits.request_timeout_seconds)


async def _problem_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return exc.response()


async def _not_found(request: Request, exc: Exception) -> Response:
    return Problem(404, "Not found", "GET /cds-services lists the services").response()


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return Problem(405, "Method not allowed").response()


async def _crash(request: Request, exc: Exception) -> Response:
    # the type only: a message may quote patient data
    log.error("internal error: %s", type(exc).__name__)
    return Problem(
        500, "Internal error", "the service failed; the request was not stored"
    ).response()


def _records(
    svc: ServiceDef, a: Assessment, made: list[dict[str, Any]], issued: str
) -> list[CardRecord]:
    status = {r.id: r.status for r in a.rules}
    out = []
    for card in made:
        pathway = a.pathway(card["source"]["topic"]["code"])
        rules = tuple(
            (r, status[r]) for r in dict.fromkeys([*pathway.rules, *pathway.todo]) if r in status
        )
        out.append(
            CardRecord(
                card["uuid"],
                svc.id,
                svc.hook,
                a.key,
                pathway.id,
                pathway.verdict,
                card["indicator"],
                issued,
                rules,
            )
        )
    return out


def _ruleset_html(rs: Any, lang: str) -> str:
    e = html.escape

    def t(texts: Any) -> str:
        if isinstance(texts, dict):
            return str(texts.get(lang) or next(iter(texts.values()), ""))
        return str(texts or "")

    parts = [
        f"<!doctype html><meta charset='utf-8'><title>{e(rs.family)}@{e(rs.version)}</title>",
        f"<h1>{e(t(rs.title))}</h1><p>{e(rs.family)}@{e(rs.version)} — {e(rs.status)}, "
        f"{e(str(rs.effective_from))}</p>",
    ]
    for pid, pathway in rs.pathways.items():
        parts.append(f"<h2>{e(t(pathway.title))} <small>({e(pid)})</small></h2>")
    parts.append("<table><tr><th>id</th><th>group</th><th>title</th></tr>")
    for rule in rs.rules:
        parts.append(
            f"<tr><td><code>{e(rule.id)}</code></td><td>{e(rule.group)}</td>"
            f"<td>{e(t(rule.title))}</td></tr>"
        )
    parts.append("</table>")
    return "".join(parts)


class _Guard:
    """The outermost ASGI layer: a time limit per request and the request log line."""

    def __init__(self, app: Starlette, timeout: float) -> None:
        self.app = app
        self.timeout = timeout
        self.state = app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = {"code": 0}

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await asyncio.wait_for(self.app(scope, receive, sending), self.timeout)
        except TimeoutError:
            if status["code"] == 0:
                problem = Problem(503, "Timed out", "the request took too long")
                await problem.response()(scope, receive, send)
                status["code"] = 503
        except Exception as exc:  # answered by _crash already, or not at all: never re-raised
            if status["code"] == 0:
                log.error("internal error: %s", type(exc).__name__)
                await Problem(500, "Internal error").response()(scope, receive, send)
                status["code"] = 500
        log.info(
            "%s %s %d %.1fms",
            scope["method"],
            _route(scope["path"]),
            status["code"],
            (time.perf_counter() - start) * 1000,
        )


def _route(path: str) -> str:
    """The path as logged: at most the service id (paths carry no patient data, but keep
    them short and printable)."""
    return "".join(ch if ch.isprintable() else "?" for ch in path[:120])
