#!/usr/bin/env python3
"""Server snapshots, run records and tables for bench/run.sh (stdlib only).

    report.py state URL                       print the test server's control state (JSON)
    report.py record RUNS BEFORE AFTER K=V..  append one run to RUNS (JSON lines), print a summary
    report.py table RUNS MODE FORMAT          print the table of MODE and FORMAT from RUNS
                                              (libzizq's C worker against the official client,
                                              then each shim's worker that ran against both)
    report.py legend                          print what the columns mean
    report.py counters URL                    print the server's ack requests, completion
                                              commits and journal commits so far (bench/rounds.sh)
    report.py medians FILE                    print the median of each column of FILE's
                                              numbers (bench/rounds.sh)

A record holds the client's figures (K=V: mode, spec, format, client, jobs,
enqueue, scan, dequeue in jobs/s, user, sys, wall in s, rss in KiB, server_cpu
in s) and the server's counters over the run: the differences between the
control states BEFORE and AFTER it.
"""

import json
import statistics
import sys
import urllib.request

CLIENTS = ("libzizq", "official")
# Workers of the language shims (bindings/*), each run the same way as
# examples-c/throughput.c; compared with the official client in a table of
# their own.
SHIMS = ("python", "python-async", "ruby", "go")

# Request kinds shown in every table, even at 0, so the two clients' ways of
# enqueuing, scanning, taking and acknowledging line up; any other kind a run
# used is listed after them.
KEY_KINDS = (
    "POST /jobs/bulk",
    "GET /jobs",
    "GET /jobs/take",
    "POST /jobs/success",
    "POST /jobs/{id}/success",
    "POST /jobs/{id}/failure",
)

MODE_HEADINGS = {
    "instant": (
        "INSTANT server (zizq-testserver, in memory, answers at once)",
        "Measures CLIENT OVERHEAD ONLY (client CPU, requests per job); its jobs/s\n"
        "   do not transfer to a real server: do not judge throughput by this table.",
    ),
    "reference": (
        "COST-SHAPED server (zizq-testserver --cost-profile {spec})",
        "The real Zizq server's cost shape (request CPU, read latency,\n"
        "   group-commit journal and completion lanes): JUDGE THROUGHPUT BY THIS TABLE.",
    ),
}

NUMERIC = ("jobs", "enqueue", "scan", "dequeue", "user", "sys", "wall", "rss", "server_cpu")


def fail(msg):
    print(f"report.py: {msg}", file=sys.stderr)
    sys.exit(1)


def read_state(url):
    try:
        with urllib.request.urlopen(f"{url}/_testserver/state", timeout=10) as r:
            return json.load(r)
    except (OSError, ValueError) as e:
        fail(f"cannot read the test server's state at {url}: {e}")


def counters(url):
    s = read_state(url)
    print(s["requests_by_kind"].get("POST /jobs/success", 0), s.get("completion_commits", 0),
          s.get("commits", 0))


def medians(path):
    with open(path) as f:
        rows = [list(map(float, line.split())) for line in f if line.strip()]
    print(" ".join(f"{statistics.median(column):.2f}" for column in zip(*rows)))


def record(runs, before_path, after_path, pairs):
    rec = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            fail(f"expected KEY=VALUE, got {pair!r}")
        rec[key] = float(value) if key in NUMERIC else value
    with open(before_path) as f:
        before = json.load(f)
    with open(after_path) as f:
        after = json.load(f)
    b_kinds, a_kinds = before["requests_by_kind"], after["requests_by_kind"]
    rec["by_kind"] = {k: n - b_kinds.get(k, 0) for k, n in a_kinds.items() if n != b_kinds.get(k, 0)}
    for key in ("requests", "commits", "committed_changes", "completion_commits",
                "completed_changes"):
        rec[key] = after.get(key, 0) - before.get(key, 0)
    with open(runs, "a") as f:
        f.write(json.dumps(rec) + "\n")
    per_k = 1000 / rec["jobs"]
    print(
        f"enqueue {rec['enqueue']:7.0f}  scan {rec['scan']:7.0f}  dequeue {rec['dequeue']:7.0f} jobs/s"
        f"  cpu {rec['user']:.2f}u+{rec['sys']:.2f}s  wall {rec['wall']:5.2f}s"
        f"  server cpu {rec['server_cpu']:5.2f}s  requests/1k {rec['requests'] * per_k:6.1f}"
        f"  commits/1k {rec['commits'] * per_k:6.1f}"
        f"  completion commits/1k {rec['completion_commits'] * per_k:6.1f}"
    )


def table(runs_path, mode, fmt):
    with open(runs_path) as f:
        runs = [r for r in map(json.loads, f) if r["mode"] == mode and r["format"] == fmt]
    by_client = {c: [r for r in runs if r["client"] == c] for c in CLIENTS + SHIMS}
    if not all(by_client[c] for c in CLIENTS):
        fail(f"no runs of both clients for {mode} {fmt} in {runs_path}")
    first = runs[0]

    def med(client, value):
        return statistics.median(value(r) for r in by_client[client])

    def row(name, value, digits, ratio=True):
        a, b = med("libzizq", value), med("official", value)
        rel = f"{a / b:.2f}x" if ratio and b > 0 else "-"
        print(f"{name:<28} {a:12.{digits}f} {b:12.{digits}f} {rel:>18}")

    title, note = MODE_HEADINGS[mode]
    print()
    print(f"== {title.format(spec=first['spec'])} — {fmt}")
    print(f"   {note}")
    print(
        f"   JOB_COUNT={first['jobs']:.0f} CONCURRENCY={first['concurrency']}"
        f" PREFETCH={first['prefetch']}, median of {len(by_client['libzizq'])} runs"
    )
    print(f"{'':<28} {'libzizq':>12} {'official':>12} {'libzizq/official':>18}")
    for phase in ("enqueue", "scan", "dequeue"):
        row(f"{phase} jobs/s", lambda r, p=phase: r[p], 0)
    row("client CPU us/job, user", lambda r: r["user"] * 1e6 / r["jobs"], 1)
    row("client CPU us/job, sys", lambda r: r["sys"] * 1e6 / r["jobs"], 1)
    row("client CPU us/job, total", lambda r: (r["user"] + r["sys"]) * 1e6 / r["jobs"], 1)
    if all(r["rss"] > 0 for r in runs):
        row("client peak RSS MiB", lambda r: r["rss"] / 1024, 1)
    row("server CPU s/run", lambda r: r["server_cpu"], 2)
    row("server CPU us/job", lambda r: r["server_cpu"] * 1e6 / r["jobs"], 1)
    print("server requests / 1,000 jobs")
    used = sorted({k for r in runs for k in r["by_kind"]} - set(KEY_KINDS))
    for kind in KEY_KINDS + tuple(used):
        row(f"  {kind}", lambda r, k=kind: r["by_kind"].get(k, 0) * 1000 / r["jobs"], 1)
    row("  all", lambda r: r["requests"] * 1000 / r["jobs"], 1)
    if any(r["commits"] for r in runs):
        row("journal commits / 1,000 jobs", lambda r: r["commits"] * 1000 / r["jobs"], 1)
        row(
            "state changes / commit",
            lambda r: r["committed_changes"] / r["commits"] if r["commits"] else 0,
            1,
        )
    if any(r.get("completion_commits") for r in runs):
        row("completion commits / 1k jobs",
            lambda r: r["completion_commits"] * 1000 / r["jobs"], 1)
        row(
            "acks, nacks / commit",
            lambda r: r["completed_changes"] / r["completion_commits"]
            if r["completion_commits"] else 0,
            1,
        )
    shims = [s for s in SHIMS if by_client[s]]
    if shims:
        shim_table(shims, med)


def shim_table(shims, med):
    """Each shim's worker against the official client: throughput, client
    CPU and ack requests (the libzizq worker under the shim is the same)."""
    print()
    print(f"{'shim workers (bindings/*/bench)':<48}" + "  ".join(
        f"{s:>12} {'/official':>9}" for s in shims))
    rows = (
        ("dequeue jobs/s", lambda r: r["dequeue"], 0),
        ("client CPU us/job, user", lambda r: r["user"] * 1e6 / r["jobs"], 1),
        ("client CPU us/job, sys", lambda r: r["sys"] * 1e6 / r["jobs"], 1),
        ("client CPU us/job, total", lambda r: (r["user"] + r["sys"]) * 1e6 / r["jobs"], 1),
        ("ack requests / 1,000 jobs",
         lambda r: r["by_kind"].get("POST /jobs/success", 0) * 1000 / r["jobs"], 1),
    )
    for name, value, digits in rows:
        official = med("official", value)
        cells = []
        for shim in shims:
            mine = med(shim, value)
            rel = f"{mine / official:.2f}x" if official > 0 else "-"
            cells.append(f"{mine:12.{digits}f} {rel:>9}")
        print(f"{name:<48}" + "  ".join(cells))


LEGEND = """\
Columns: the median over the measured runs of each client; the ratio is
libzizq/official (> 1 favours libzizq for jobs/s, < 1 for CPU, RSS, requests
and commits). The shim workers' table gives each shim's figure and its
ratio to the official client's (python: zizq.Worker, CONCURRENCY threads;
python-async: zizq.AsyncWorker, CONCURRENCY coroutines on one event loop;
ruby: Zizq::Worker, threads; go: zizq.Worker.Run, goroutines); their CPU
includes starting the interpreter.
Client CPU is that client process's own user and system time
for a whole run (start-up, cleanup, enqueue, scan, dequeue) divided by
JOB_COUNT; each job is enqueued, scanned and dequeued once. Server CPU
(10 ms ticks) and server requests (by route, from the control API's
requests_by_kind) are what the server did during that client's run; journal
and completion commits (cost-shaped server only) are its group commits, each
carrying the state changes (enqueue and take dispatch; acks and nacks) that
queued up in that lane while the one before was in progress. The instant server measures client overhead only;
judge throughput by the cost-shaped server."""


def main(argv):
    if len(argv) >= 2 and argv[0] == "state":
        print(json.dumps(read_state(argv[1])))
    elif len(argv) == 2 and argv[0] == "counters":
        counters(argv[1])
    elif len(argv) == 2 and argv[0] == "medians":
        medians(argv[1])
    elif len(argv) >= 4 and argv[0] == "record":
        record(argv[1], argv[2], argv[3], argv[4:])
    elif len(argv) == 4 and argv[0] == "table":
        table(argv[1], argv[2], argv[3])
    elif argv == ["legend"]:
        print()
        print(LEGEND)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
