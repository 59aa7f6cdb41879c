"""The application factory for several uvicorn worker processes (``workers > 1``): each
worker reads the configuration named by ``VISITATION_SERVICE_CONFIG``."""

from __future__ import annotations

import os

from starlette.types import ASGIApp

from visitation.service._app import create_app
from visitation.service._cli import setup_logging
from visitation.service._config import load_config

__all__ = ["app"]


def app() -> ASGIApp:
    """The application of one worker (its log set up as the parent's)."""
    setup_logging(os.environ.get("VISITATION_SERVICE_LOG_LEVEL", "INFO"))
    overrides = {}
    if os.environ.get("VISITATION_SERVICE_PORT"):
        overrides["port"] = int(os.environ["VISITATION_SERVICE_PORT"])
    return create_app(load_config(os.environ.get("VISITATION_SERVICE_CONFIG"), **overrides))
