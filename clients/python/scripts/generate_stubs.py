"""Writes the gRPC stubs of `proto/arvak.proto` into the package.

    python scripts/generate_stubs.py          # from clients/python

The stubs are committed; `tests/test_stubs.py` generates them afresh and
fails when they differ, so they are never stale. grpcio-tools writes
`import arvak_pb2`, a top-level import; inside the package it must be
relative, which is the one change made to its output.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROTO = HERE.parent.parent.parent / "proto" / "arvak.proto"
PACKAGE = HERE.parent / "src" / "arvak_grpc"
FILES = ("arvak_pb2.py", "arvak_pb2.pyi", "arvak_pb2_grpc.py")


def generate(out_dir: Path, proto: Path = PROTO) -> None:
    """Generates the three stub files from `proto` into `out_dir`."""
    from grpc_tools import protoc  # grpcio-tools, needed only here

    with tempfile.TemporaryDirectory() as work:
        shutil.copy(proto, Path(work) / "arvak.proto")
        include = Path(protoc.__file__).parent / "_proto"
        status = protoc.main(
            [
                "grpc_tools.protoc",
                f"-I{work}",
                f"-I{include}",
                f"--python_out={out_dir}",
                f"--pyi_out={out_dir}",
                f"--grpc_python_out={out_dir}",
                str(Path(work) / "arvak.proto"),
            ]
        )
    if status != 0:
        raise SystemExit(f"protoc failed on {proto} (exit {status})")
    grpc_stub = out_dir / "arvak_pb2_grpc.py"
    text = re.sub(r"^import arvak_pb2 as", "from . import arvak_pb2 as", grpc_stub.read_text(), flags=re.M)
    grpc_stub.write_text(text)


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else PACKAGE)
