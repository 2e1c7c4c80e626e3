"""Every Python example of README.md runs, in order, against the test
servers (ADDRESS, and TLS_ADDRESS with CA_PATH and API_KEY)."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import Server

README = Path(__file__).resolve().parents[1] / "README.md"


def examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_has_examples() -> None:
    assert len(examples()) >= 8


def test_every_example_runs(server: Server, tls_server: Server) -> None:
    namespace: dict[str, object] = {
        "ADDRESS": server.address,
        "TLS_ADDRESS": tls_server.address,
        "CA_PATH": str(tls_server.ca_cert),
        "API_KEY": tls_server.api_key,
    }
    for number, code in enumerate(examples(), 1):
        try:
            exec(compile(code, f"README.md example {number}", "exec"), namespace)
        except Exception as error:
            raise AssertionError(f"README.md example {number} failed:\n{code}") from error


def test_the_repositorys_readme_python_example_runs(server: Server) -> None:
    root = README.parents[2] / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", root.read_text(), flags=re.S)
    assert blocks, "the repository's README shows Python"
    for code in blocks:
        exec(compile(code.replace("localhost:50051", server.address), "README.md", "exec"), {})
