"""Two runs side by side: each workload's ratio to its own run's baseline, before and after.

python -m bench.compare before.json after.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    before, after = (json.loads(Path(p).read_text()) for p in sys.argv[1:3])
    print("| db | workload | before req/s (× baseline) | after req/s (× baseline) | change |")
    print("|---|---|---:|---:|---:|")
    for db, data in after["databases"].items():
        old = before["databases"].get(db)
        if not old:
            continue
        for name, entry in data["workloads"].items():
            if name not in old["workloads"]:
                continue
            a = entry["closed"]["rps"] / data["baseline_rps"]
            b = old["workloads"][name]["closed"]["rps"] / old["baseline_rps"]
            print(
                f"| {db} | {name} | {old['workloads'][name]['closed']['rps']:.0f} ({b:.3f}) "
                f"| {entry['closed']['rps']:.0f} ({a:.3f}) | {a / b:.1f}× |"
            )


if __name__ == "__main__":
    main()
