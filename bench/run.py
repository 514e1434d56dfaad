"""Benchmarks: the build against LibreOffice's own floor and the usual one-call-per-document approach.

Prints a table and writes bench/results/latest.json. Usage: python bench/run.py [--portfolio N] [--quick]
  --quick   portfolio builds without PDF (minutes instead of a quarter hour)
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "company_profiles" / "prairie-peak-roofing.yaml"
AS_OF = "2026-02-01"
sys.path.insert(0, str(ROOT))


def tree_rss(pid: int) -> int:
    """Memory (bytes) of a process and all its descendants: proportional set size, so pages shared between the
    forked build processes are counted once (plain RSS would count them in every process)."""
    total, stack, seen = 0, [pid], set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            status = Path(f"/proc/{p}/smaps_rollup").read_text()
            m = re.search(r"Pss:\s+(\d+) kB", status)
            total += int(m.group(1)) * 1024 if m else 0
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                stack += [int(c) for c in children]
        except (OSError, ValueError):
            continue
    return total


def run(cmd: list[str]) -> dict:
    """Run a command, measuring wall time and peak memory of its whole process tree."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def watch():
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    watcher.join()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
    return {"seconds": seconds, "peak_mb": peak[0] / 1e6, "stdout": out, "stderr": err}


def build_cmd(profile: Path | str, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "secor_docs", "-v", "build", str(profile), "--out", str(out), "--as-of", AS_OF, *extra]


def stages(stderr: str) -> dict[str, float]:
    found = {}
    for line in stderr.splitlines():
        m = re.search(r"INFO secor_docs\.pipeline: .*?: [\d.]+ s \((.*)\)$", line)
        if m:
            for part in m.group(1).split(", "):
                name, value = part.rsplit(" ", 2)[0], part.rsplit(" ", 2)[1]
                found[name] = found.get(name, 0) + float(value)
    return found


def soffice_floor(docs: list[Path], work: Path) -> float:
    out = work / "floor"
    out.mkdir()
    cmd = ["soffice", f"-env:UserInstallation=file://{work}/floor-profile", "--headless", "--norestore",
           "--convert-to", "pdf", "--outdir", str(out)] + [str(d) for d in docs]
    return run(cmd)["seconds"]


def soffice_each(docs: list[Path], work: Path) -> float:
    out = work / "each"
    out.mkdir()
    started = time.perf_counter()
    for d in docs:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{work}/each-profile", "--headless", "--norestore",
                        "--convert-to", "pdf", "--outdir", str(out), str(d)], capture_output=True, check=True)
    return time.perf_counter() - started


def portfolio(folder: Path, count: int) -> None:
    from secor_docs.library import load_library
    from secor_docs.starter import Answers, starter_profile

    library = load_library()
    industries = sorted(library.industries)
    for i in range(count):
        industry = industries[i % len(industries)]
        answers = Answers(industry=industry, legal_name=f"Bench Client {i + 1:02d} {library.industries[industry].name} Ltd.",
                          senior_manager=f"Owner {i + 1}", travel_minutes=5 + (i * 7) % 60, effective_date=date(2026, 1, 1))
        (folder / f"client-{i + 1:02d}.yaml").write_text(starter_profile(answers, library), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--portfolio", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="portfolio without PDF")
    args = parser.parse_args()
    if not shutil.which("soffice"):
        raise SystemExit("LibreOffice (soffice) is needed: make system-deps")
    results: dict = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
                     "date": date.today().isoformat()}
    with tempfile.TemporaryDirectory(prefix="secor-bench-") as tmp:
        work = Path(tmp)
        # The cold build starts with no compiled templates; the rebuilds find the ones it left, as a user's would.
        os.environ["SECOR_DOCS_CACHE"] = str(work / "cache")
        profile = work / "profile.yaml"
        profile.write_text(EXAMPLE.read_text())
        cold = run(build_cmd(profile, work / "out"))
        folder = next(p for p in (work / "out").iterdir() if p.is_dir() and not p.name.startswith("."))
        docs = sorted((folder / "documents").glob("*.docx"))
        results["cold"] = {"seconds": cold["seconds"], "peak_mb": cold["peak_mb"], "stages": stages(cold["stderr"]),
                           "documents": len(docs)}
        results["floor_one_call"] = soffice_floor(docs, work)
        results["one_call_per_document"] = soffice_each(docs, work)
        again = run(build_cmd(profile, work / "out"))
        results["no_change"] = {"seconds": again["seconds"], "ratio": again["seconds"] / cold["seconds"]}
        profile.write_text(profile.read_text().replace("check_in_interval_minutes: 120", "check_in_interval_minutes: 60"))
        changed = run(build_cmd(profile, work / "out"))
        results["one_field"] = {"seconds": changed["seconds"], "ratio": changed["seconds"] / cold["seconds"],
                                "stages": stages(changed["stderr"])}
        clients = work / "clients"
        clients.mkdir()
        portfolio(clients, args.portfolio)
        extra = ("--no-pdf",) if args.quick else ()
        for jobs in (1, 2):
            r = run(build_cmd(clients, work / f"portfolio-{jobs}", "--jobs", str(jobs), *extra))
            count = sum(len(json.loads(m.read_text())["documents"]) for m in (work / f"portfolio-{jobs}").glob("*/manifest.json"))
            results[f"portfolio_jobs_{jobs}"] = {"seconds": r["seconds"], "documents": count, "docs_per_second": count / r["seconds"],
                                                 "peak_mb": r["peak_mb"], "pdf": not args.quick}
    c = results["cold"]["seconds"]
    rows = [
        ("cold full build (DOCX, PDF, binder)", f"{c:.1f} s", f"peak {results['cold']['peak_mb']:.0f} MB"),
        *[(f"  stage: {k}", f"{v:.1f} s", "") for k, v in results["cold"]["stages"].items()],
        ("one soffice call for all documents (floor)", f"{results['floor_one_call']:.1f} s", f"build = {c / results['floor_one_call']:.2f} x floor (target <= 1.3)"),
        ("one soffice call per document", f"{results['one_call_per_document']:.1f} s", f"build is {results['one_call_per_document'] / c:.1f} x faster (target >= 8)"),
        ("rebuild, nothing changed", f"{results['no_change']['seconds']:.1f} s", f"{results['no_change']['ratio'] * 100:.1f} % of cold (target <= 5 %)"),
        ("rebuild, one field changed", f"{results['one_field']['seconds']:.1f} s", f"{results['one_field']['ratio'] * 100:.1f} % of cold (target <= 25 %)"),
    ]
    p1, p2 = results["portfolio_jobs_1"], results["portfolio_jobs_2"]
    rows += [
        (f"portfolio of {args.portfolio}, --jobs 1{' (no PDF)' if args.quick else ''}", f"{p1['seconds']:.1f} s", f"{p1['docs_per_second']:.2f} documents/s"),
        (f"portfolio of {args.portfolio}, --jobs 2{' (no PDF)' if args.quick else ''}", f"{p2['seconds']:.1f} s",
         f"{p2['docs_per_second']:.2f} documents/s = {p2['docs_per_second'] / p1['docs_per_second']:.2f} x (target >= 1.6)"),
        ("peak memory, whole process tree", f"{max(results['cold']['peak_mb'], p1['peak_mb'], p2['peak_mb']):.0f} MB", "target <= 600 MB"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"secor-docs benchmark, {results['machine']['cpus']} CPUs, {results['machine']['platform']}")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>9}  {note}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {out / 'latest.json'}")


if __name__ == "__main__":
    main()
