"""A real server for the tests: the repository's `arvak-grpc-server`, built
by cargo (or `ARVAK_TEST_SERVER_BIN`), on a free port with a fresh SQLite store.
`tls_server` adds TLS and an API key that every call must carry."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

REPO = Path(__file__).resolve().parents[3]

BELL = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c = measure q;
"""


@dataclass
class Server:
    address: str
    workdir: Path
    process: subprocess.Popen[bytes]
    api_key: str | None = None
    ca_cert: Path | None = None

    def log(self) -> str:
        return (self.workdir / "server.log").read_text(errors="replace")


#: The server's features the tests use besides the defaults.
FEATURES = "tls"


def server_binary(copy_to: Path) -> Path:
    """The server binary: `ARVAK_TEST_SERVER_BIN`, else built by cargo now
    and copied, so that another build of the same target directory cannot
    replace it while the tests run."""
    given = os.environ.get("ARVAK_TEST_SERVER_BIN")
    if given:
        return Path(given)
    cargo = shutil.which("cargo")
    if cargo is None:
        pytest.fail("these tests need the server: set ARVAK_TEST_SERVER_BIN or install cargo")
    subprocess.run(
        [cargo, "build", "--quiet", "--bin", "arvak-grpc-server", "--features", FEATURES],
        cwd=REPO,
        check=True,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return Path(shutil.copy2(target / "debug" / "arvak-grpc-server", copy_to / "arvak-grpc-server"))


@pytest.fixture(scope="session")
def binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return server_binary(tmp_path_factory.mktemp("bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(binary: Path, workdir: Path, env: dict[str, str]) -> Server:
    port = free_port()
    full = {
        # The client's own settings (ARVAK_ADDRESS, …) stay with the client.
        **{k: v for k, v in os.environ.items() if not k.startswith("ARVAK_")},
        "ARVAK_SERVER_LISTEN_ADDR": f"127.0.0.1:{port}",
        "ARVAK_HTTP_ENABLED": "false",
        "ARVAK_STORAGE_TYPE": "sqlite",
        "ARVAK_STORAGE_SQLITE_PATH": str(workdir / "jobs.db"),
        "ARVAK_LOGGING_LEVEL": "warn",
        # Few workers, so that a backlog keeps a job waiting (cancel tests).
        "ARVAK_WORKERS_COUNT": "2",
        **env,
    }
    log = open(workdir / "server.log", "wb")
    process = subprocess.Popen([str(binary)], env=full, stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    server = Server(f"127.0.0.1:{port}", workdir, process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited at start:\n{server.log()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return server
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"the server did not listen within 60 s:\n{server.log()}")


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def server(binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start(binary, tmp_path_factory.mktemp("server"), {})
    yield running
    stop(running)


def _openssl(directory: Path, *args: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the TLS tests need openssl to make certificates")
    subprocess.run([openssl, *args], cwd=directory, check=True, capture_output=True)


_EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def _signed_by_ca(directory: Path, name: str, subject: str, extension: str) -> tuple[Path, Path]:
    """`name`.pem and `name`.key: a new key and a certificate for `subject`
    that the CA in `directory` signed, with one X.509 `extension`."""
    _openssl(directory, "req", *_EC_KEY, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject)
    (directory / f"{name}.ext").write_text(extension + "\n")
    _openssl(
        directory,
        *("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"),
        *("-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext"),
    )
    return directory / f"{name}.pem", directory / f"{name}.key"


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate it signed for 127.0.0.1 and localhost."""
    _openssl(
        directory,
        *("req", "-x509", *_EC_KEY, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2"),
        *("-subj", "/CN=arvak test CA"),
    )
    cert, key = _signed_by_ca(directory, "server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost")
    return directory / "ca.pem", cert, key


def make_client_certificate(directory: Path) -> tuple[Path, Path]:
    """A client certificate signed by the CA `make_certificates` made there."""
    return _signed_by_ca(directory, "client", "/CN=team-q", "extendedKeyUsage=clientAuth")


@pytest.fixture(scope="session")
def tls_server(binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("tls-server")
    ca, cert, key = make_certificates(workdir)
    env = {
        "ARVAK_TLS_ENABLED": "true",
        "ARVAK_TLS_CERT_PATH": str(cert),
        "ARVAK_TLS_KEY_PATH": str(key),
        "ARVAK_AUTH_API_KEYS_ENABLED": "true",
        "ARVAK_AUTH_API_KEYS_FILE": str(workdir / "keys.yaml"),
        "ARVAK_AUTH_API_KEYS_BCRYPT_COST": "4",
        "ARVAK_AUTH_ALLOW_UNAUTHENTICATED": "false",
    }
    created = subprocess.run(
        [str(binary), "api-key", "create", "--client", "team-q"],
        env={**os.environ, **env, "ARVAK_STORAGE_SQLITE_PATH": str(workdir / "jobs.db")},
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"arvak_[A-Za-z0-9]+_[A-Za-z0-9]+", created.stdout)
    assert found, f"no key in: {created.stdout!r} {created.stderr!r}"
    running = start(binary, workdir, env)
    running.api_key, running.ca_cert = found.group(0), ca
    yield running
    stop(running)


@pytest.fixture(scope="session")
def mtls_server(binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """TLS that refuses clients without a certificate its CA signed."""
    workdir = tmp_path_factory.mktemp("mtls-server")
    ca, cert, key = make_certificates(workdir)
    env = {
        "ARVAK_TLS_ENABLED": "true",
        "ARVAK_TLS_CERT_PATH": str(cert),
        "ARVAK_TLS_KEY_PATH": str(key),
        "ARVAK_TLS_CLIENT_CA_PATH": str(ca),
        "ARVAK_TLS_REQUIRE_CLIENT_CERT": "true",
    }
    running = start(binary, workdir, env)
    running.ca_cert = ca
    yield running
    stop(running)


class Unavailable(grpc.RpcError):
    """A call that failed as a dropped connection does."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNAVAILABLE

    def details(self) -> str:
        return "connection reset"


def losing_first_answer(real: Callable[..., Any], keys: list[str]) -> Callable[..., Any]:
    """`real` (a stub's SubmitJob), except that the first call's answer is
    lost after the server took it; `keys` collects each attempt's
    idempotency key."""

    def call(request: Any, **kwargs: Any) -> Any:
        keys.append(request.idempotency_key)
        answer = real(request, **kwargs)
        if len(keys) == 1:
            raise Unavailable()
        return answer

    return call
