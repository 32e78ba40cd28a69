#!/usr/bin/env python3
"""Tables comparing engine variants run in one device call, from the bench.log files that
`device-general.sh` / `device-bench.sh` / `device-record.sh` leave (rows of `spdnn bench`'s
Markdown table). One row per network: each engine's median inference seconds and TE/s, its ratio
against the first engine listed (the baseline), upload + inference, and whether every run PASSED.

Usage: compare-engines.py [--baseline ENGINE] bench.log [bench.log ...]
"""
import argparse
import sys

# Columns of the per-run rows (see the header row in bench.log).
NETWORK, ENGINE, INFERENCE, UPLOAD_PLUS, TEPS, TRUTH = 0, 1, 6, 9, 11, -1


def rows(paths):
    for path in paths:
        with open(path, encoding="utf-8") as log:
            for line in log:
                if not line.startswith("| "):
                    continue
                fields = [f.strip() for f in line.strip().strip("|").split("|")]
                if len(fields) < 15 or not fields[INFERENCE][:1].isdigit():
                    continue
                yield fields


def network_key(name):
    label, _, layers = name.partition(" x ")
    size = label.split()[-1]
    return (0 if label.startswith("general") else 1, int(size), int(layers))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="engine the ratios divide by (default: the first listed)")
    parser.add_argument("logs", nargs="+")
    args = parser.parse_args()

    runs = {}
    engines = []
    for fields in rows(args.logs):
        runs[(fields[NETWORK], fields[ENGINE])] = fields
        if fields[ENGINE] not in engines:
            engines.append(fields[ENGINE])
    if not runs:
        sys.exit("compare-engines: no bench rows in " + ", ".join(args.logs))
    baseline = args.baseline or engines[0]

    header = ["N x L"]
    for engine in engines:
        header += [f"`{engine}` s", "TE/s"] + ([] if engine == baseline else [f"/ `{baseline}`"])
    header += [f"upload + inference s (`{baseline}`)", "truth"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for network in sorted({n for n, _ in runs}, key=network_key):
        base = runs.get((network, baseline))
        cells = [network]
        truths = set()
        for engine in engines:
            run = runs.get((network, engine))
            if run is None:
                cells += ["-", "-"] + ([] if engine == baseline else ["-"])
                continue
            truths.add(run[TRUTH])
            cells += [run[INFERENCE], run[TEPS]]
            if engine != baseline:
                ratio = float(run[INFERENCE]) / float(base[INFERENCE]) if base else float("nan")
                cells.append(f"{ratio:.3f}")
        cells.append(base[UPLOAD_PLUS] if base else "-")
        cells.append("/".join(sorted(truths)))
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
