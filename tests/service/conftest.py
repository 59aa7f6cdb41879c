"""Fixtures of the service tests: one signing key pair, one fake EHR and one real service
(``visitation serve`` on 127.0.0.1) per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.service_helpers import Client, FakeEhr, Keys, Server, served


@pytest.fixture(scope="session")
def keys() -> Keys:
    """The EHRs' signing keys (ES384 with a configured JWK Set, RS384 behind a jku)."""
    return Keys()


@pytest.fixture(scope="session")
def ehr(keys: Keys) -> Iterator[FakeEhr]:
    """The fake EHR: FHIR server and JWK Set URL on loopback."""
    fake = FakeEhr(keys)
    yield fake
    fake.close()


@pytest.fixture(scope="session")
def cds_server(
    tmp_path_factory: pytest.TempPathFactory, keys: Keys, ehr: FakeEhr
) -> Iterator[Server]:
    """The real service, started once for the session."""
    yield from served(tmp_path_factory.mktemp("service"), keys, ehr)


@pytest.fixture
def client(cds_server: Server, keys: Keys, ehr: FakeEhr) -> Iterator[Client]:
    """An EHR client of the session's service (the fake EHR reset)."""
    ehr.fail = None
    ehr.delay = 0.0
    ehr.requests.clear()
    c = Client(cds_server, keys)
    yield c
    c.http.close()
