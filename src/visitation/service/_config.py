"""The service's configuration: a TOML file read into one frozen, validated model.

TOML (the standard library's ``tomllib``) rather than YAML: no types guessed from the
text, no anchors, and nothing beyond the standard library. Every problem is reported at
once, by file, line (where the key is found) and field, e.g.
``serve.toml:7: auth.issuers[0].algorithms[0]: 'HS256' is not allowed ...``.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "ALGORITHMS",
    "AuthConfig",
    "ConfigError",
    "CorsConfig",
    "IssuerConfig",
    "LimitsConfig",
    "ServiceConfig",
    "load_config",
]

ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
"""The asymmetric JWS algorithms a configuration may allow; never ``none``, never HMAC."""

_DEFAULT_ORDERS = {
    # SNOMED CT: referral to palliative care service / palliative care physician → the
    # specialized pathway (team or unit); referral to hospice → hospice
    "http://snomed.info/sct|306237005": "specialized",
    "http://snomed.info/sct|306288008": "specialized",
    "http://snomed.info/sct|306205009": "hospice",
}


class ConfigError(ValueError):
    """A configuration file could not be used: every problem, by file, line and field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IssuerConfig(_Model):
    """One trusted CDS Client: its ``iss`` and where its public keys come from."""

    iss: str = Field(min_length=1)
    jwks: dict[str, Any] | None = None
    """A JWK Set given in the file (``{"keys": [...]}``)."""
    jwks_file: Path | None = None
    """A JWK Set in a JSON file (relative to the configuration file)."""
    jku: tuple[str, ...] = ()
    """JWK Set URLs this issuer may name in the ``jku`` header (exact matches; https only,
    or http on loopback for tests); the service fetches nothing else."""
    algorithms: tuple[str, ...] = ("ES384", "RS384")

    @field_validator("algorithms")
    @classmethod
    def _asymmetric(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for alg in value:
            if alg not in ALGORITHMS:
                raise ValueError(
                    f"{alg!r} is not allowed: CDS Hooks forbids 'none' and symmetric (HMAC) "
                    f"algorithms; use {', '.join(ALGORITHMS)}"
                )
        if not value:
            raise ValueError("name at least one algorithm (ES384 or RS384 are recommended)")
        return value

    @field_validator("jku")
    @classmethod
    def _jku_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            if not _allowed_url(url):
                raise ValueError(f"{url!r}: a jku must be an https URL (http only on loopback)")
        return value

    @model_validator(mode="after")
    def _some_keys(self) -> IssuerConfig:
        if self.jwks is None and self.jwks_file is None and not self.jku:
            raise ValueError(f"issuer {self.iss!r} needs jwks, jwks_file or jku")
        if self.jwks is not None and not isinstance(self.jwks.get("keys"), list):
            raise ValueError("jwks must be a JWK Set: an object with a 'keys' array")
        return self


class AuthConfig(_Model):
    """JWT bearer authentication of CDS Clients (CDS Hooks 2.0.1, Trusting CDS Clients)."""

    required: bool = True
    issuers: tuple[IssuerConfig, ...] = ()
    leeway_seconds: int = Field(default=30, ge=0, le=300)
    """Clock skew allowed on ``exp`` and ``iat``."""
    max_lifetime_seconds: int = Field(default=600, ge=1, le=3600)
    """The longest ``exp - iat`` accepted (the sandbox uses 300 s)."""
    jwks_cache_seconds: int = Field(default=300, ge=0)
    replay_cache_size: int = Field(default=200_000, ge=1000)

    @model_validator(mode="after")
    def _issuers_when_required(self) -> AuthConfig:
        if self.required and not self.issuers:
            raise ValueError("auth.required is true but no [[auth.issuers]] is configured")
        seen: set[str] = set()
        for i in self.issuers:
            if i.iss in seen:
                raise ValueError(f"issuer {i.iss!r} is configured twice")
            seen.add(i.iss)
        return self


class CorsConfig(_Model):
    """CORS for browser-based clients such as the CDS Hooks sandbox (off by default)."""

    allow_origins: tuple[str, ...] = ()


class LimitsConfig(_Model):
    """Sizes and times that bound every request."""

    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    request_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    fhir_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    fhir_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    fhir_max_pages: int = Field(default=5, ge=1, le=100)
    max_feedback_items: int = Field(default=100, ge=1, le=10_000)
    answer_cache_entries: int = Field(default=256, ge=0, le=100_000)
    """Answers kept for requests repeated with the same content (0: no cache)."""
    answer_cache_seconds: float = Field(default=60.0, gt=0, le=3600)
    """How long a kept answer may be given again."""


class ServiceConfig(_Model):
    """Everything ``visitation serve`` needs."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    base_url: str | None = None
    """The public base URL (``https://cds.example.org``): JWT ``aud`` must equal
    ``{base_url}/cds-services/{id}``. Default ``http://{host}:{port}``."""
    rulesets: tuple[str, ...] = ("dk-national",)
    """Rule sets to evaluate: a family (the version in force on the day) or ``family@version``."""
    language: Literal["da", "en"] = "da"
    evaluation_date: date | None = None
    """A fixed evaluation date, for tests and demonstrations only; default: today in
    Denmark (Europe/Copenhagen)."""
    ruleset_url: str | None = None
    """A template for the rule set's readable view in a card's links, with ``{family}`` and
    ``{version}``; default: this service's own ``/rulesets/{family}/{version}``."""
    database: Path = Path("visitation-feedback.sqlite3")
    """The SQLite file for feedback and the card log (relative to the configuration file)."""
    workers: int = Field(default=1, ge=1, le=64)
    orders: dict[str, str] = Field(default_factory=lambda: dict(_DEFAULT_ORDERS))
    """ServiceRequest codes (``system|code``) → the pathway a referral is for."""
    fhir_servers: tuple[str, ...] = ()
    """Base URLs the service may fetch from (``fhirServer`` must start with one); empty:
    any http(s) ``fhirServer`` a client names."""
    auth: AuthConfig = AuthConfig(required=False)
    cors: CorsConfig = CorsConfig()
    limits: LimitsConfig = LimitsConfig()

    @field_validator("rulesets")
    @classmethod
    def _some_rulesets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("name at least one rule set, e.g. rulesets = ['dk-national']")
        return value

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", value):
            raise ValueError(f"{value!r} is not an http(s) base URL")
        return value.rstrip("/")

    @field_validator("orders")
    @classmethod
    def _order_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if "|" not in key:
                raise ValueError(f"{key!r}: write an order code as 'system|code'")
        return value

    @property
    def public_base(self) -> str:
        """The base URL clients call (``aud`` is built from it)."""
        return self.base_url or f"http://{self.host}:{self.port}"


def _allowed_url(url: str) -> bool:
    if url.startswith("https://"):
        return True
    return bool(re.match(r"http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/", url))


def _line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """The line of the deepest key of ``loc`` that the text names, if it can be found."""
    keys = [k for k in loc if isinstance(k, str)]
    for key in reversed(keys):
        pattern = re.compile(rf"^\s*(\[+\s*)?([\w.]*\.)?\"?{re.escape(key)}\"?\s*(=|\]|\.)", re.M)
        m = pattern.search(text)
        if m:
            return text.count("\n", 0, m.start()) + 1
    return None


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def load_config(path: str | Path | None = None, **overrides: Any) -> ServiceConfig:
    """Read a configuration file (TOML); ``overrides`` (e.g. ``port=0``) replace its values.

    Relative paths in the file (``database``, ``jwks_file``) are relative to the file.
    Raises :class:`ConfigError` listing every problem with file, line and field.
    """
    data: dict[str, Any] = {}
    text = ""
    shown = "<defaults>"
    base = Path.cwd()
    if path is not None:
        p = Path(path)
        shown, base = str(p), p.parent
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError([f"{shown}: {exc.strerror or exc}"]) from None
        except UnicodeDecodeError as exc:
            raise ConfigError([f"{shown}: not UTF-8 text ({exc.reason})"]) from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"{shown}: {exc}"]) from None
        section = data.pop("service", None)
        if isinstance(section, dict):  # [service] holds the top-level keys, if one prefers
            data = {**section, **data}
        # a configuration file authenticates unless it says otherwise ([auth] required =
        # false); only the file-less sandbox default runs without
        data.setdefault("auth", {})
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        config = ServiceConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = _line_of(text, loc)
            where = f"{shown}:{line}" if line else shown
            problems.append(f"{where}: {_dotted(loc)}: {err['msg']}")
        raise ConfigError(problems) from None
    return _resolve_paths(config, base)


def _resolve_paths(config: ServiceConfig, base: Path) -> ServiceConfig:
    db = config.database if config.database.is_absolute() else base / config.database
    issuers = []
    problems = []
    for k, issuer in enumerate(config.auth.issuers):
        if issuer.jwks_file is not None:
            file = issuer.jwks_file if issuer.jwks_file.is_absolute() else base / issuer.jwks_file
            try:
                jwks = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                problems.append(f"{file}: auth.issuers[{k}].jwks_file: cannot be read ({exc})")
                continue
            if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
                problems.append(f"{file}: auth.issuers[{k}].jwks_file: not a JWK Set")
                continue
            issuer = issuer.model_copy(update={"jwks": jwks, "jwks_file": file})
        issuers.append(issuer)
    if problems:
        raise ConfigError(problems)
    auth = config.auth.model_copy(update={"issuers": tuple(issuers)})
    return config.model_copy(update={"database": db, "auth": auth})
