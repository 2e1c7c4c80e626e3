"""Medians of the load bench's JSON lines, per RPC and label, and each
label's ratios to a baseline label with the same RPC.

    python3 bench/summary.py RESULTS.jsonl BASELINE_LABEL
"""
import json
import statistics
import sys

path, baseline = sys.argv[1], sys.argv[2]
runs = {}
for line in open(path):
    r = json.loads(line)
    runs.setdefault((r["rpc"], r["label"]), []).append(r)
# Peak server memory is there when bench/matrix.sh measured it.
fields = ("rps", "p50_ms", "p90_ms", "p99_ms", "max_ms", "errors", "peak_rss_mib")
med = {key: {k: statistics.median(r.get(k, 0) for r in rs) for k in fields}
       for key, rs in runs.items()}
print(f"\n{'rpc':<15}{'label':<11}{'runs':>5}{'rps':>11}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
      f"{'max ms':>9}{'errors':>8}{'peak MiB':>10}   (medians)")
for (rpc, label), m in med.items():
    print(f"{rpc:<15}{label:<11}{len(runs[(rpc, label)]):>5}{m['rps']:>11.1f}{m['p50_ms']:>9.2f}"
          f"{m['p90_ms']:>9.2f}{m['p99_ms']:>9.2f}{m['max_ms']:>9.1f}{m['errors']:>8.0f}{m['peak_rss_mib']:>10.1f}")
for (rpc, label), m in med.items():
    base = med.get((rpc, baseline))
    if label != baseline and base:
        print(f"{rpc} {label}/{baseline}: rps {m['rps'] / base['rps']:.2f}, "
              f"p50 {m['p50_ms'] / base['p50_ms']:.2f}, p99 {m['p99_ms'] / base['p99_ms']:.2f}")
        # Runs made one right after the other (matrix.sh's ALSO_ENV) met the
        # same load from the rest of the machine: the median of their
        # ratios is steadier than the ratio of medians.
        pairs = list(zip(runs[(rpc, label)], runs[(rpc, baseline)]))
        if len(pairs) == len(runs[(rpc, label)]) == len(runs[(rpc, baseline)]):
            ratios = sorted(a["rps"] / b["rps"] for a, b in pairs)
            print(f"  paired runs: median rps ratio {statistics.median(ratios):.3f} "
                  f"(from {ratios[0]:.2f} to {ratios[-1]:.2f})")
