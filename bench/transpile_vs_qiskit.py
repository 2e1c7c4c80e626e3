"""Qiskit's transpile(..., optimization_level=3) on the cases
`cargo bench --bench transpile` wrote, beside our figures.

    TRANSPILE_BENCH_DIR=DIR cargo bench --bench transpile
    /tmp/pyenv/bin/python bench/transpile_vs_qiskit.py DIR [--repeats N]

Each case is the same circuit (OpenQASM 3, as our bench wrote it), coupling
map and basis (`r` is Qiskit's name for IQM's prx). Qiskit's time is the
median of N runs (default 3) of `transpile` alone, its 2q count that of the
first run (seed_transpiler fixed).
"""

import json
import math
import re
import statistics
import sys
import time

from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.transpiler import CouplingMap

GATE = re.compile(r"^(\w+)(?:\(([^)]*)\))?\s+(.*);$")


def load(path):
    """Reads the one-gate-a-line OpenQASM 3 our bench writes (the installed
    Qiskit has no OpenQASM 3 importer)."""
    gates = get_standard_gate_name_mapping()
    aliases = {"U": "u", "cu": "cu"}
    circuit = None
    for line in open(path):
        line = line.strip()
        if not line or line.startswith(("OPENQASM", "include")):
            continue
        m = re.match(r"^qubit\[(\d+)\] q;$", line)
        if m:
            circuit = QuantumCircuit(int(m.group(1)))
            continue
        m = GATE.match(line)
        if not m:
            raise ValueError(f"unexpected line: {line}")
        name, params, qubits = m.group(1), m.group(2), m.group(3)
        name = aliases.get(name, name)
        values = [float(p) for p in params.split(",")] if params else []
        indices = [int(q) for q in re.findall(r"q\[(\d+)\]", qubits)]
        gate = gates[name].base_class(*values)
        circuit.append(gate, indices)
    return circuit


def main():
    directory = sys.argv[1]
    repeats = 3
    if "--repeats" in sys.argv:
        repeats = int(sys.argv[sys.argv.index("--repeats") + 1])
    cases = json.load(open(f"{directory}/cases.json"))
    header = f"{'circuit':<11} {'device':<14} {'ours 2q':>7} {'qiskit 2q':>9} {'ratio':>6} {'ours ms':>8} {'qiskit ms':>9} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    ratios = []
    for case in cases:
        circuit = load(f"{directory}/{case['case']}.qasm")
        coupling = CouplingMap(case["edges"])
        times, count = [], None
        for _ in range(repeats):
            start = time.perf_counter()
            out = transpile(
                circuit,
                coupling_map=coupling,
                basis_gates=case["basis"],
                optimization_level=3,
                seed_transpiler=7,
            )
            times.append((time.perf_counter() - start) * 1e3)
            if count is None:
                count = sum(1 for i in out.data if i.operation.num_qubits == 2)
        qiskit_ms = statistics.median(times)
        ratio = case["ours_2q"] / count if count else math.nan
        ratios.append(ratio)
        print(
            f"{case['circuit']:<11} {case['device']:<14} {case['ours_2q']:>7} {count:>9} {ratio:>6.2f} "
            f"{case['ours_ms']:>8.1f} {qiskit_ms:>9.1f} {case['ours_ms'] / qiskit_ms:>6.3f}",
            flush=True,
        )
    finite = [r for r in ratios if not math.isnan(r)]
    if finite:
        print(f"2q ratio: geometric mean {math.exp(sum(map(math.log, finite)) / len(finite)):.3f}, worst {max(finite):.2f}")


if __name__ == "__main__":
    main()
