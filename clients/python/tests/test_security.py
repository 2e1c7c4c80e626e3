"""TLS with a CA bundle and an API key on every call, streams included."""

from __future__ import annotations

import pytest

from arvak_grpc import NO_RETRY, ArvakAuthenticationError, ArvakClient, ArvakUnavailableError, JobState

from .conftest import BELL, Server, make_client_certificate


def test_tls_and_an_api_key_reach_the_server(tls_server: Server) -> None:
    with ArvakClient(tls_server.address, api_key=tls_server.api_key, ca_cert=tls_server.ca_cert) as client:
        job_id = client.submit_qasm(BELL, "simulator", 50)
        states = [s for s, _, _ in client.watch_job(job_id)]  # a stream carries the key too
        assert states[-1] == JobState.COMPLETED
        assert sum(client.wait_for_job(job_id).counts.values()) == 50
        assert client.submit_qasm_future(BELL, "simulator", 5).result(timeout=60).shots == 5


def test_the_environment_supplies_the_defaults(tls_server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARVAK_ADDRESS", tls_server.address)
    monkeypatch.setenv("ARVAK_API_KEY", tls_server.api_key or "")
    monkeypatch.setenv("ARVAK_CA_CERT", str(tls_server.ca_cert))
    with ArvakClient() as client:
        assert client.list_backends()


def test_without_the_key_the_call_is_refused_as_unauthenticated(tls_server: Server) -> None:
    with ArvakClient(tls_server.address, ca_cert=tls_server.ca_cert) as client:
        with pytest.raises(ArvakAuthenticationError):
            client.list_backends()
    forged = "arvak_AAAAAAAAAAAA_" + "B" * 40
    with ArvakClient(tls_server.address, ca_cert=tls_server.ca_cert, api_key=forged) as client:
        with pytest.raises(ArvakAuthenticationError):
            client.submit_qasm(BELL, "simulator", 5)


def test_a_server_signed_by_another_ca_is_not_trusted(tls_server: Server, server: Server) -> None:
    # The system's CAs did not sign the test server's certificate.
    with ArvakClient(
        tls_server.address, api_key=tls_server.api_key, tls=True, timeout=5, retry_policy=NO_RETRY
    ) as client:
        with pytest.raises(ArvakUnavailableError):
            client.list_backends()


def test_mtls_with_a_client_certificate(mtls_server: Server) -> None:
    cert, key = make_client_certificate(mtls_server.workdir)
    with ArvakClient(mtls_server.address, ca_cert=mtls_server.ca_cert, client_cert=cert, client_key=key) as client:
        assert client.submit_qasm_future(BELL, "simulator", 5).result(timeout=60).shots == 5
    with ArvakClient(mtls_server.address, ca_cert=mtls_server.ca_cert, timeout=5, retry_policy=NO_RETRY) as client:
        with pytest.raises(ArvakUnavailableError):  # the handshake is refused
            client.list_backends()
