"""HTTP speed and memory: POST /classify against a FastAPI endpoint that only tokenises.

    python -m benchmarks.bench_http [--duration 5] [--memory-requests 100000]

Needs wrk (Debian: apt-get install wrk). Both servers run with uvicorn, the same
log level and worker count, one after the other on the same bios; wrk drives
them on loopback. On a 2-core machine wrk competes with the server for the
cores, which caps what a second worker can add.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.bios import typical_bios

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(kind: str, port: int, workers: int) -> subprocess.Popen:
    module = "service" if kind == "jinmyaku" else "benchmarks.minimal_app"
    extra = ["--log-level", "warning"] if kind == "jinmyaku" else []
    process = subprocess.Popen([sys.executable, "-m", module, "--port", str(port), "--workers", str(workers),
                                *extra], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{module} exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if httpx.post(f"http://127.0.0.1:{port}/classify", json={"text": "記者"}, timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{module} did not answer within 60 s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def lua_script(bodies: list[str], directory: Path, name: str) -> Path:
    """A wrk script that POSTs the bodies in turn."""
    items = ",\n".join("[==[" + body + "]==]" for body in bodies)
    path = directory / f"{name}.lua"
    path.write_text(f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {{
{items}
}}
local i = 0
request = function()
  i = i + 1
  return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])
end
""", encoding="utf-8")
    return path


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def run_wrk(port: int, script: Path, connections: int, duration: float) -> dict:
    threads = min(2, connections)
    output = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{int(duration)}s", "--timeout", "20s",
                             "--latency",
                             "-s", str(script), f"http://127.0.0.1:{port}/classify"],
                            capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {}
    for pct in ("50", "99"):
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", output).groups()
        latency[pct] = float(value) * UNITS[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": rps, "p50_ms": latency["50"], "p99_ms": latency["99"],
            "non_2xx": int(errors.group(1)) if errors else 0}


def rss_mb(pid: int) -> tuple[float, float]:
    """(private, file-backed) resident MB. The file-backed part is mostly the memory-mapped MeCab
    dictionary, which grows as words are looked up and is shared by every worker process."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("RssAnon", "RssFile"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("RssAnon", float("nan")), values.get("RssFile", float("nan"))


def model_load_seconds(runs: int = 3) -> list[tuple[float, float]]:
    """(load, load and the first classification) in fresh processes: the first call builds the
    fast path's tables, which the service does at start-up with its smoke prediction."""
    code = ("import time; from training import artifacts; t=time.perf_counter(); "
            "m=artifacts.load_model(); a=time.perf_counter()-t; m.classify(['編集者']); "
            "print(a, time.perf_counter()-t)")
    return [tuple(map(float, subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                                            text=True, check=True).stdout.split())) for _ in range(runs)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--memory-requests", type=int, default=100_000)
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        sys.exit("wrk not found: install it with `apt-get install wrk`")

    bios = typical_bios()
    single = [json.dumps({"text": t}, ensure_ascii=False) for t in bios[:500]]
    batches = [json.dumps({"texts": bios[i:i + 100]}, ensure_ascii=False) for i in range(0, 1000, 100)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        scripts = {"1 bio": lua_script(single, Path(tmp), "single"),
                   "100 bios": lua_script(batches, Path(tmp), "batch")}
        for workers in (1, 2):
            for kind in ("minimal", "jinmyaku"):
                port = free_port()
                process = start(kind, port, workers)
                try:
                    for payload, script in scripts.items():
                        run_wrk(port, script, 8, 1)  # warm-up
                        for connections in (1, 8, 64):
                            result = run_wrk(port, script, connections, args.duration)
                            rows.append({"workers": workers, "server": kind, "payload": payload,
                                         "connections": connections, **result})
                finally:
                    stop(process)

        print(f"{'workers':>7} {'payload':>9} {'conns':>5} | {'minimal req/s':>13} {'p50':>7} {'p99':>7} | "
              f"{'jinmyaku req/s':>14} {'p50':>7} {'p99':>7} | {'ratio':>6}")
        for r in [r for r in rows if r["server"] == "jinmyaku"]:
            base = next(b for b in rows if b["server"] == "minimal" and b["workers"] == r["workers"]
                        and b["payload"] == r["payload"] and b["connections"] == r["connections"])
            print(f"{r['workers']:>7} {r['payload']:>9} {r['connections']:>5} | {base['rps']:>13.0f} "
                  f"{base['p50_ms']:>6.1f}ms {base['p99_ms']:>5.1f}ms | {r['rps']:>14.0f} {r['p50_ms']:>6.1f}ms "
                  f"{r['p99_ms']:>5.1f}ms | {r['rps'] / base['rps']:>5.0%}"
                  + (f"  ({r['non_2xx']} non-2xx)" if r["non_2xx"] else ""))
        for payload in scripts:
            for connections in (8, 64):
                one, two = (next(r for r in rows if r["server"] == "jinmyaku" and r["workers"] == w
                                 and r["payload"] == payload and r["connections"] == connections)
                            for w in (1, 2))
                print(f"2 workers over 1, {payload}, {connections} connections: {two['rps'] / one['rps']:.2f}x "
                      "(wrk shares the 2 cores with the workers)")

        # Memory: one worker, --memory-requests single-bio requests.
        port = free_port()
        process = start("jinmyaku", port, 1)
        try:
            run_wrk(port, scripts["1 bio"], 8, 2)
            before = rss_mb(process.pid)
            sent = 0
            rss_trace = [before]
            while sent < args.memory_requests:
                result = run_wrk(port, scripts["1 bio"], 8, 10)
                sent += int(result["rps"] * 10)
                rss_trace.append(rss_mb(process.pid))
            after = rss_mb(process.pid)
        finally:
            stop(process)
    model_dir = REPO / "models" / (REPO / "models" / "DEFAULT").read_text().strip()
    size = sum(p.stat().st_size for p in model_dir.iterdir()) / 1e6
    joblib_size = (model_dir / "model.joblib").stat().st_size / 1e6
    loads = model_load_seconds()
    print(f"\nresident memory of one worker, private + shared dictionary pages: "
          f"{before[0]:.0f} + {before[1]:.0f} MB after warm-up, {after[0]:.0f} + {after[1]:.0f} MB after about "
          f"{sent:,} requests (private MB every 10 s: {', '.join(f'{v[0]:.0f}' for v in rss_trace)})")
    print(f"model on disk: {joblib_size:.1f} MB model.joblib ({size:.1f} MB with metadata and report); "
          f"load time {statistics.median(l for l, _ in loads):.2f} s, with the first classification "
          f"{statistics.median(f for _, f in loads):.2f} s (medians of {len(loads)} fresh processes)")


if __name__ == "__main__":
    main()
