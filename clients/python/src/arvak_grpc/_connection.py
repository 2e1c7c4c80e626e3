"""Where the client connects and who it says it is.

Settings come from the arguments, else from the environment
(`ARVAK_ADDRESS`, `ARVAK_API_KEY`, `ARVAK_TOKEN`, `ARVAK_CA_CERT`), else
from defaults. Credentials travel as call metadata on every call, streams
included (`x-api-key`, `authorization: Bearer …`); a token may be a
callable, asked afresh for each call, so a short-lived token is renewed
without a new client.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import grpc.aio

DEFAULT_ADDRESS = "localhost:50051"

#: Results of many distinct outcomes exceed gRPC's 4 MiB default.
MAX_MESSAGE = 256 * 1024 * 1024

Token = str | Callable[[], str]
Pem = str | bytes | os.PathLike[str]


def _pem(value: Pem | None, what: str) -> bytes | None:
    """PEM bytes given as bytes, as PEM text, or as the path of a file."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    text = os.fspath(value)
    if "-----BEGIN" in text:
        return text.encode()
    path = Path(text).expanduser()
    try:
        return path.read_bytes()
    except OSError as e:
        raise ValueError(f"cannot read the {what} at {path}: {e.strerror}") from None


@dataclass(frozen=True)
class Connection:
    """Everything needed to open channels to one server."""

    address: str
    tls: bool
    ca_cert: bytes | None = field(default=None, repr=False)
    client_cert: bytes | None = field(default=None, repr=False)
    client_key: bytes | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    token: Token | None = field(default=None, repr=False)
    options: tuple[tuple[str, int | str], ...] = ()

    @classmethod
    def resolve(
        cls,
        address: str | None = None,
        *,
        api_key: str | None = None,
        token: Token | None = None,
        ca_cert: Pem | None = None,
        client_cert: Pem | None = None,
        client_key: Pem | None = None,
        tls: bool | None = None,
        options: list[tuple[str, int | str]] | None = None,
    ) -> Connection:
        env = os.environ
        address = address or env.get("ARVAK_ADDRESS") or DEFAULT_ADDRESS
        if address.startswith("https://"):
            address, tls = address[len("https://") :], True if tls is None else tls
        elif address.startswith("http://"):
            address = address[len("http://") :]
        ca = _pem(ca_cert if ca_cert is not None else env.get("ARVAK_CA_CERT"), "CA certificate")
        cert = _pem(client_cert, "client certificate")
        key = _pem(client_key, "client key")
        if (cert is None) != (key is None):
            raise ValueError("mTLS needs both client_cert and client_key")
        if tls is None:
            tls = ca is not None or cert is not None
        if not tls and (ca is not None or cert is not None):
            raise ValueError("a CA or client certificate was given with tls=False")
        chosen: tuple[tuple[str, int | str], ...] = (
            ("grpc.max_receive_message_length", MAX_MESSAGE),
            ("grpc.max_send_message_length", MAX_MESSAGE),
            *(options or ()),
        )
        return cls(
            address=address,
            tls=tls,
            ca_cert=ca,
            client_cert=cert,
            client_key=key,
            api_key=api_key if api_key is not None else env.get("ARVAK_API_KEY") or None,
            token=token if token is not None else env.get("ARVAK_TOKEN") or None,
            options=chosen,
        )

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The credentials of one call."""
        pairs: list[tuple[str, str]] = []
        if self.api_key:
            pairs.append(("x-api-key", self.api_key))
        if self.token is not None:
            token = self.token() if callable(self.token) else self.token
            if token:
                pairs.append(("authorization", f"Bearer {token}"))
        return tuple(pairs)

    def _credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca_cert,
            private_key=self.client_key,
            certificate_chain=self.client_cert,
        )

    def channel(self) -> grpc.Channel:
        if self.tls:
            return grpc.secure_channel(self.address, self._credentials(), options=self.options)
        return grpc.insecure_channel(self.address, options=self.options)

    def aio_channel(self) -> grpc.aio.Channel:
        if self.tls:
            return grpc.aio.secure_channel(self.address, self._credentials(), options=self.options)
        return grpc.aio.insecure_channel(self.address, options=self.options)
