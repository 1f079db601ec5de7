"""The issue's targets, checked against a run's results; the printed table."""

from __future__ import annotations

from typing import Any

RATIO_TARGETS = {  # workload: (SQLite, PostgreSQL) minimum ratio to the baseline's requests/s
    "vm/available": (0.60, 0.50),
    "inventory (50 items)": (0.45, 0.35),
    "ship/quote": (0.50, 0.50),
    "buy/init amount 1": (0.20, 0.12),
    "vm/buyback": (0.20, 0.12),
}
P99_AT_HALF_MS = {"read": 15.0, "write": 25.0, "mixed": 20.0}
P99_AT_80_MS = 50.0
MEMORY_LIMIT_MIB = 150.0
GROWTH_TARGETS = {  # check: (SQLite, PostgreSQL) minimum ratio
    "pool 1,000,000 vs 1,000 cards (pulls/s)": (0.8, 0.8),
    "last 1% vs first 1% of a pool (pulls/s)": (0.7, 0.7),
    "64 clients on one pack vs spread (pulls/s)": (0.9, 0.7),
    "inventory 100 vs 100,000 items (req/s of 100,000 / of 100)": (1 / 1.3, 1 / 1.3),
}


def _errors(run: dict[str, Any]) -> int:
    return int(run.get("status_errors", 0)) + int(run.get("socket_errors", 0))


def check(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(db: str, what: str, measured: float, target: str, met: bool) -> None:
        rows.append({"db": db, "target": what, "measured": measured, "goal": target, "met": met})

    for db, data in result["databases"].items():
        col = 0 if db == "sqlite" else 1
        base = data["baseline_rps"]
        workloads = data["workloads"]
        for name, entry in workloads.items():
            rps = entry["closed"]["rps"]
            if name in RATIO_TARGETS:
                goal = RATIO_TARGETS[name][col]
                add(db, f"{name} ratio", rps / base, f">= {goal}", rps / base >= goal)
            half = entry["open_50"]
            limit = P99_AT_HALF_MS[entry["kind"]]
            add(db, f"{name} p99 at 50%", half["p99_ms"], f"<= {limit} ms", half["p99_ms"] <= limit)
            if "open_80" in entry:
                e80 = entry["open_80"]
                ok = e80["p99_ms"] <= P99_AT_80_MS and _errors(e80) == 0
                add(db, f"{name} p99 at 80%", e80["p99_ms"], "<= 50 ms, 0 errors", ok)
        one, ten = workloads.get("buy/init amount 1"), workloads.get("buy/init amount 10")
        if one and ten:
            factor = ten["closed"]["cards_per_s"] / one["closed"]["cards_per_s"]
            add(db, "buy/init 10 cards/s ÷ amount 1 cards/s", factor, ">= 4", factor >= 4)
        peak = max(data["memory"]["end"]["peak_rss_mib"] or [0.0])
        add(db, "peak memory per worker (MiB)", peak, "<= 150", peak <= MEMORY_LIMIT_MIB)
        grew = _memory_growth(data)
        if grew is not None:
            add(db, f"memory growth {grew[1]} (%)", grew[0], "< 10", grew[0] < 10)
        for name, check_ in data.get("growth", {}).items():
            if name in GROWTH_TARGETS and "ratio" in check_:
                goal = GROWTH_TARGETS[name][col]
                add(db, name, check_["ratio"], f">= {goal:.2f}", check_["ratio"] >= goal)
    return rows


def _memory_growth(data: dict[str, Any]) -> tuple[float, str] | None:
    """The largest growth of a worker's resident memory: over the memory run (from its first
    tenth to its end) when there was one, else from after the warm-up to the end."""
    run = data.get("memory_run")
    if run and run.get("after_tenth"):
        start, end = run["after_tenth"]["rss_mib"], run["end"]["rss_mib"]
        what = f"over {run['requests']:,} requests (from the first tenth)"
    else:
        start, end = data["memory"]["after_warmup"]["rss_mib"], data["memory"]["end"]["rss_mib"]
        what = "over the run"
    if not start or not end or len(start) != len(end):
        return None
    return max(e / s - 1 for s, e in zip(start, end, strict=True)) * 100, what


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def table(result: dict[str, Any]) -> str:
    out = []
    for db, data in result["databases"].items():
        base = data["baseline_rps"]
        before, after = data["baseline_before"]["rps"], data["baseline_after"]["rps"]
        out.append(
            f"\n### {db} — baseline {base:.0f} req/s (before {before:.0f}, after {after:.0f})\n"
        )
        out.append(
            "| workload | req/s | × baseline | cards/s | p50 / p99 / p99.9 ms at 50% "
            "| p99 ms at 80% | errors (closed/50%/80%) |"
        )
        out.append("|---|---:|---:|---:|---|---:|---|")
        for name, e in data["workloads"].items():
            c, h, e80 = e["closed"], e["open_50"], e.get("open_80")
            errs = f"{_errors(c)}/{_errors(h)}/{_errors(e80) if e80 else '-'}"
            out.append(
                f"| {name} | {c['rps']:.0f} | {c['rps'] / base:.2f} "
                f"| {_fmt(c['cards_per_s'], '.0f')} "
                f"| {h['p50_ms']:.1f} / {h['p99_ms']:.1f} / {h['p999_ms']:.1f} "
                f"| {_fmt(e80['p99_ms'] if e80 else None)} | {errs} |"
            )
        mem = data["memory"]["end"]
        out.append(
            "\npeak memory per worker: "
            + ", ".join(f"{m:.0f} MiB" for m in mem["peak_rss_mib"])
            + "; resident after warm-up → end: "
            + ", ".join(
                f"{a:.0f} → {b:.0f} MiB"
                for a, b in zip(
                    data["memory"]["after_warmup"]["rss_mib"], mem["rss_mib"], strict=False
                )
            )
        )
        run = data.get("memory_run")
        if run and run.get("after_tenth"):
            out.append(
                f"\nmemory run: {run['requests']:,} requests (inventory pages and listings) in "
                f"{run['seconds']:.0f} s, {run['errors']} errors; resident after the first tenth "
                "→ end: "
                + ", ".join(
                    f"{a:.0f} → {b:.0f} MiB"
                    for a, b in zip(
                        run["after_tenth"]["rss_mib"], run["end"]["rss_mib"], strict=False
                    )
                )
            )
        workers = data.get("workers", {})
        if workers and workers["start"] != workers["end"]:
            out.append(f"\nworker processes replaced during the run: {workers}")
        if data.get("growth"):
            out.append("\n| growth check | measured | detail |\n|---|---:|---|")
            for name, g in data["growth"].items():
                out.append(f"| {name} | {_fmt(g.get('ratio'), '.2f')} | {g.get('detail', '')} |")
    out.append("\n### targets\n\n| db | target | measured | goal | met |\n|---|---|---:|---|---|")
    for row in result["targets"]:
        out.append(
            f"| {row['db']} | {row['target']} | {row['measured']:.2f} | {row['goal']} "
            f"| {'yes' if row['met'] else '**no**'} |"
        )
    return "\n".join(out)
