"""Arvak backends as Qiskit backends (extra `qiskit`).

    >>> from arvak_grpc.qiskit import ArvakProvider
    >>> backend = ArvakProvider("localhost:50051").get_backend("simulator")
    >>> counts = backend.run(circuit, shots=1000).result().get_counts()

Each backend's `target` comes from the server's `BackendInfo`: its qubits,
its gates (those Qiskit knows by name) and its coupling map (the
topology's `coupling_map` or `edges`, none for `all-to-all`). `run` sends
each circuit as OpenQASM 3 (`qiskit.qasm3.dumps`) in one SubmitBatch and
returns a job whose counts are in Qiskit's bit order, registers apart.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

try:
    from qiskit import QuantumCircuit, qasm3
    from qiskit.circuit import Measure, Reset
    from qiskit.circuit.library import get_standard_gate_name_mapping
    from qiskit.providers import BackendV2, JobStatus, JobV1, Options
    from qiskit.result import Result
    from qiskit.transpiler import Target
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("the Qiskit backend needs Qiskit: pip install 'arvak-grpc[qiskit]'") from e

from .client import ArvakClient
from .exceptions import ArvakError
from .job_future import JobFuture
from .types import BackendInfo, JobState

_STATUS = {
    JobState.UNSPECIFIED: JobStatus.INITIALIZING,
    JobState.QUEUED: JobStatus.QUEUED,
    JobState.RUNNING: JobStatus.RUNNING,
    JobState.COMPLETED: JobStatus.DONE,
    JobState.FAILED: JobStatus.ERROR,
    JobState.CANCELED: JobStatus.CANCELLED,
    JobState.RESULT_EXPIRED: JobStatus.ERROR,
}


class ArvakProvider:
    """The backends of one Arvak server.

    Args:
        address_or_client: `host:port`, or an `ArvakClient` to share.
        **client_options: for a new client (`api_key`, `ca_cert`, …).
    """

    def __init__(self, address_or_client: str | ArvakClient | None = None, **client_options: Any) -> None:
        if isinstance(address_or_client, ArvakClient):
            self.client = address_or_client
        else:
            self.client = ArvakClient(address_or_client, **client_options)

    def backends(self, name: str | None = None) -> list[ArvakBackend]:
        infos = self.client.list_backends()
        return [ArvakBackend(self, info) for info in infos if name is None or info.backend_id == name]

    def get_backend(self, name: str) -> ArvakBackend:
        return ArvakBackend(self, self.client.get_backend_info(name))


def target_of(info: BackendInfo) -> Target:
    """A Qiskit target for what the server says of a backend."""
    target = Target(description=info.description, num_qubits=info.max_qubits)
    known = get_standard_gate_name_mapping()
    edges = _coupling(info.topology)
    for name in info.supported_gates:
        gate = known.get(name)
        if gate is None or name in ("measure", "reset", "barrier", "delay"):
            continue
        if gate.num_qubits == 2 and edges is not None:
            target.add_instruction(gate, {edge: None for edge in edges})
        else:
            target.add_instruction(gate, None)
    target.add_instruction(Measure(), None)
    target.add_instruction(Reset(), None)
    return target


def _coupling(topology: dict[str, Any] | None) -> list[tuple[int, int]] | None:
    """The directed edges two-qubit gates may act on; None for any pair."""
    if not topology or topology.get("kind") == "all-to-all":
        return None
    pairs = topology.get("coupling_map", topology.get("edges"))
    if not isinstance(pairs, list):
        return None
    edges: set[tuple[int, int]] = set()
    for pair in pairs:
        a, b = int(pair[0]), int(pair[1])
        edges |= {(a, b), (b, a)}
    return sorted(edges)


class ArvakBackend(BackendV2):  # type: ignore[misc]
    """One Arvak backend; `run` submits circuits to it."""

    def __init__(self, provider: ArvakProvider, info: BackendInfo) -> None:
        super().__init__(provider=provider, name=info.backend_id, description=info.description)
        self.info = info
        self._target = target_of(info)

    @property
    def target(self) -> Target:
        return self._target

    @property
    def max_circuits(self) -> int:
        return 10_000

    @classmethod
    def _default_options(cls) -> Options:
        return Options(shots=1024, seed_simulator=None)

    def run(self, run_input: QuantumCircuit | Sequence[QuantumCircuit], **options: Any) -> ArvakJob:
        circuits = [run_input] if isinstance(run_input, QuantumCircuit) else list(run_input)
        unknown = set(options) - set(self.options.__dict__) - {"seed"}
        if unknown:
            raise ValueError(f"unknown run options {sorted(unknown)}: use shots or seed_simulator")
        shots = int(options.get("shots", self.options.shots))
        seed = options.get("seed_simulator", options.get("seed", self.options.seed_simulator))
        items = [
            {"circuit": qasm3.dumps(c), "shots": shots, **({"seed": int(seed) + i} if seed is not None else {})}
            for i, c in enumerate(circuits)
        ]
        client = self.provider.client
        ids = client.submit_batch(items, self.name)
        return ArvakJob(self, ids, circuits, shots)


class ArvakJob(JobV1):  # type: ignore[misc]
    """The jobs of one `run`, one per circuit."""

    def __init__(self, backend: ArvakBackend, job_ids: list[str], circuits: list[QuantumCircuit], shots: int) -> None:
        super().__init__(backend, uuid.uuid4().hex)
        self.job_ids = job_ids
        self._circuits = circuits
        self._shots = shots
        client = backend.provider.client
        self._futures = [JobFuture(client, job_id) for job_id in job_ids]

    def submit(self) -> None:
        raise ArvakError("an Arvak job is submitted by backend.run")

    def status(self) -> JobStatus:
        states = [f.state if not f.done() or f.job is None else f.job.state for f in self._futures]
        if any(s == JobState.FAILED or s == JobState.RESULT_EXPIRED for s in states):
            return JobStatus.ERROR
        if all(f.done() for f in self._futures):
            if all(f.cancelled() for f in self._futures):
                return JobStatus.CANCELLED
            return JobStatus.DONE if all(f.exception() is None for f in self._futures) else JobStatus.ERROR
        return JobStatus.RUNNING if any(s == JobState.RUNNING for s in states) else JobStatus.QUEUED

    def cancel(self) -> bool:
        return any([f.cancel() for f in self._futures])

    def result(self, timeout: float | None = None) -> Result:
        experiments = []
        for future, circuit in zip(self._futures, self._circuits, strict=True):
            counts = future.result(timeout).counts
            # A circuit without measurements is measured on every qubit.
            registers = [(r.name, r.size) for r in circuit.cregs] or [("meas", circuit.num_qubits)]
            experiments.append(
                {
                    "shots": self._shots,
                    "success": True,
                    "data": {"counts": {hex(int(k, 2)): v for k, v in counts.items()}},
                    "header": {
                        "name": circuit.name,
                        "memory_slots": sum(size for _, size in registers),
                        "creg_sizes": [[name, size] for name, size in registers],
                        "clbit_labels": [[name, i] for name, size in registers for i in range(size)],
                    },
                }
            )
        return Result.from_dict(
            {
                "backend_name": self.backend().name,
                "backend_version": "1",
                "job_id": self.job_id(),
                "success": True,
                "results": experiments,
            }
        )
