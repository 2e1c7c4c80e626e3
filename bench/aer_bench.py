#!/usr/bin/env python3
"""Times Qiskit Aer on the OpenQASM 2 circuits that benches/simulator.rs writes.

Usage: aer_bench.py SHOTS REPEATS NAME=PATH...
Prints one JSON object: {NAME: {"median_ms": ..., "runs_ms": [...]}}.
Each circuit is loaded with qiskit.qasm2.loads and run on
AerSimulator(method="statevector") with its default settings (gate fusion,
all cores); the time is the wall time of run(...).result(), after one
warm-up run that is not counted.
"""

import json
import statistics
import sys
import time

from qiskit import qasm2, transpile
from qiskit_aer import AerSimulator


def main() -> None:
    shots, repeats = int(sys.argv[1]), int(sys.argv[2])
    sim = AerSimulator(method="statevector")
    out = {}
    for arg in sys.argv[3:]:
        name, path = arg.split("=", 1)
        with open(path, encoding="utf-8") as f:
            circ = qasm2.loads(f.read(), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        try:
            sim.run(circ, shots=shots).result()
        except Exception:  # an instruction Aer lacks: translate once, untimed
            circ = transpile(circ, sim, optimization_level=0)
            sim.run(circ, shots=shots).result()
        runs = []
        for i in range(repeats):
            start = time.perf_counter()
            sim.run(circ, shots=shots, seed_simulator=i).result()
            runs.append((time.perf_counter() - start) * 1000.0)
        out[name] = {"median_ms": statistics.median(runs), "runs_ms": runs}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
