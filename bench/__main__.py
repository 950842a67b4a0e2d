"""``python -m bench`` (``make bench``): run the benchmarks, print their figures, keep them as JSON
in bench/results/. See bench/README.md."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
from collections.abc import Callable
from typing import Any

from bench import calibrate, fastlane, gateway_hop, households, jobs, orders, reads, residents, soak
from bench.harness import Options, environment, say, write_result
from bench.loadgen import DEFAULT_WARMUP

Benchmark = Callable[[Options], dict[str, Any]]

# name -> (benchmark, runs without --only)
BENCHMARKS: dict[str, tuple[Benchmark, bool]] = {
    fastlane.NAME: (fastlane.run, True),
    gateway_hop.NAME: (gateway_hop.run, True),
    calibrate.NAME: (calibrate.run, False),
    residents.NAME: (residents.run, False),
    jobs.NAME: (jobs.run, False),
    orders.NAME: (orders.run, True),
    households.NAME: (households.run, False),
    reads.NAME: (reads.run, False),
    reads.SCALE_NAME: (reads.run_scale, False),
    soak.NAME: (soak.run, False),
}
DURATION = 10.0  # --duration when not given, unless the benchmark has its own default here
DEFAULT_DURATIONS = {soak.NAME: soak.DEFAULT_DURATION}
ROWS = 200_000  # --rows when not given, unless the benchmark has its own default here
DEFAULT_ROWS = {
    residents.NAME: residents.DEFAULT_ROWS,
    jobs.NAME: jobs.DEFAULT_ROWS,
    households.NAME: households.DEFAULT_ROWS,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Throughput benchmarks of the platform.")
    parser.add_argument(
        "--duration",
        type=float,
        help=f"measured seconds per server (default {DURATION:g}; soak: {soak.DEFAULT_DURATION:g})",
    )
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections (default 32)")
    parser.add_argument(
        "--rows",
        type=int,
        help=(
            f"rows in the benchmark tables (default {ROWS}; residents: {residents.DEFAULT_ROWS} residents;"
            f" jobs: {jobs.DEFAULT_ROWS} postings; households: a register of {households.DEFAULT_ROWS} residents)"
        ),
    )
    parser.add_argument(
        "--warmup", type=float, default=DEFAULT_WARMUP, help=f"seconds of load not counted (default {DEFAULT_WARMUP:g})"
    )
    parser.add_argument(
        "--only",
        choices=sorted(BENCHMARKS),
        help="run this benchmark only (loadgen, residents, jobs, households, reads, reads-scale and soak:"
        " only with --only)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a benchmark misses its target")
    args = parser.parse_args(argv)
    if (args.duration is not None and args.duration <= 0) or args.connections < 1 or args.warmup < 0:
        parser.error("--duration and --connections must be positive, --warmup not negative")
    options = Options(
        duration=args.duration or DURATION,
        connections=args.connections,
        rows=args.rows if args.rows is not None else ROWS,
        warmup=args.warmup,
        strict=args.strict,
    )

    def on_sigterm(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # unwinds through every `with`, which stops what it started

    signal.signal(signal.SIGTERM, on_sigterm)
    missed = []
    try:
        for name, (benchmark, by_default) in BENCHMARKS.items():
            if (args.only or name) != name or (not args.only and not by_default):
                continue
            rows = args.rows if args.rows is not None else DEFAULT_ROWS.get(name, ROWS)
            duration = args.duration or DEFAULT_DURATIONS.get(name, DURATION)
            report = benchmark(dataclasses.replace(options, rows=rows, duration=duration))
            report["options"] = vars(args)
            report["environment"] = environment()
            path = write_result(name, report)
            say(f"{name}: figures written to {path}")
            if report.get("met") is False:
                missed.append(name)
    except KeyboardInterrupt:
        say("interrupted; every process started was stopped")
        return 130
    if missed and options.strict:
        say(f"target missed: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
