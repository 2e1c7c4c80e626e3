"""The committed stubs are what `proto/arvak.proto` gives today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_stubs_match_the_proto(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("generate_stubs", ROOT / "scripts" / "generate_stubs.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    generator.generate(tmp_path)
    for name in generator.FILES:
        fresh = (tmp_path / name).read_text()
        committed = (ROOT / "src" / "arvak_grpc" / name).read_text()
        assert fresh == committed, f"{name} is stale: run `python scripts/generate_stubs.py` in clients/python"


def test_the_stubs_carry_every_rpc() -> None:
    from arvak_grpc import arvak_pb2_grpc

    stub_methods = {
        "SubmitJob",
        "SubmitBatch",
        "GetJobStatus",
        "GetJobResult",
        "CancelJob",
        "ListBackends",
        "GetBackendInfo",
        "WatchJob",
        "StreamResults",
        "SubmitBatchStream",
        "ListJobs",
    }
    assert stub_methods <= set(vars(arvak_pb2_grpc.ArvakServiceServicer))
