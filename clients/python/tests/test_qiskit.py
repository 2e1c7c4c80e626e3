"""The Qiskit backend: its target from BackendInfo, and counts in Qiskit's
bit order, checked against circuits whose outcome is certain."""

from __future__ import annotations

from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, transpile
from qiskit.providers import BackendV2, JobStatus

from arvak_grpc import BackendInfo
from arvak_grpc.qiskit import ArvakProvider, target_of

from .conftest import Server


def test_the_backend_is_a_backend_v2_with_the_servers_gates(server: Server) -> None:
    provider = ArvakProvider(server.address)
    backend = provider.get_backend("simulator")
    assert isinstance(backend, BackendV2) and backend.name == "simulator"
    assert backend.num_qubits == provider.client.get_backend_info("simulator").max_qubits
    assert {"h", "cx", "rz", "measure"} <= set(backend.target.operation_names)
    assert backend.coupling_map is None or backend.coupling_map.size() == 0
    assert [b.name for b in provider.backends()] == [b.backend_id for b in provider.client.list_backends()]


def test_counts_come_back_in_qiskits_bit_order(server: Server) -> None:
    backend = ArvakProvider(server.address).get_backend("simulator")
    q = QuantumRegister(3, "q")
    low, high = ClassicalRegister(2, "low"), ClassicalRegister(1, "high")
    circuit = QuantumCircuit(q, low, high)
    circuit.x(q[0])  # low[0] = 1, low[1] = 0, high[0] = 1
    circuit.x(q[2])
    circuit.measure(q[0], low[0])
    circuit.measure(q[1], low[1])
    circuit.measure(q[2], high[0])
    bell = QuantumCircuit(2, 2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure([0, 1], [0, 1])
    job = backend.run([circuit, transpile(bell, backend)], shots=100, seed_simulator=11)
    result = job.result(timeout=60)
    assert result.get_counts(0) == {"1 01": 100}  # last register leftmost, bit 0 rightmost
    assert set(result.get_counts(1)) <= {"00", "11"} and sum(result.get_counts(1).values()) == 100
    assert job.status() is JobStatus.DONE and len(job.job_ids) == 2


def test_a_coupling_map_in_the_topology_limits_two_qubit_gates() -> None:
    info = BackendInfo("line", "line", True, 3, 1000, "", ["h", "cx", "measure"], {"coupling_map": [[0, 1], [1, 2]]})
    target = target_of(info)
    assert set(target["cx"]) == {(0, 1), (1, 0), (1, 2), (2, 1)}
    assert target.num_qubits == 3
