"""make bench: serve the portal under gunicorn (2 sync workers, production settings, DEBUG off) beside a bare Django
"hello" view served the same way, drive the public, signed-in and API pages with wrk, time services directly,
count each page's SQL queries, and write bench/results/<date>.json and .md with pass/fail per budget.

Budgets are ratios to the floor measured in the same run (issue 10), because machines here are noisy.

    python bench/run.py [--database URL] [--scale city] [--duration 10] [--skip-seed]
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess  # runs manage.py, gunicorn and wrk with fixed argument lists  # nosec B404
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
PORTAL_PORT, FLOOR_PORT = 8101, 8102

# (name, category, path or callable name); categories carry the budgets below.
CATEGORIES = {
    "cached": {"label": "匿名缓存页面", "min_ratio": 0.40, "max_p99_ms": 50},
    "dynamic": {"label": "动态页面", "min_ratio": 0.10, "max_p99_ms": 150},
    "signed_in": {"label": "登录后页面", "min_ratio": 0.08, "max_p99_ms": 200},
    "api": {"label": "API 列表", "min_ratio": 0.10, "max_p99_ms": 150},
}
MAX_QUERIES = 12


# One key for the whole run, so that the session the probe signs (dev settings) is valid on the server.
RUN_SECRET_KEY = secrets.token_urlsafe(50)


def env_for(database_url: str, production: bool) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "PORTAL_VAR_DIR": str(VAR), "SECRET_KEY": RUN_SECRET_KEY}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    if production:
        env.update({
            "DJANGO_SETTINGS_MODULE": "portal.settings.production",
            "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "WARNING",
        })
    else:
        env["DJANGO_SETTINGS_MODULE"] = "portal.settings.dev"
    return env


def manage(*args, env):
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)  # fixed argv  # nosec B603


def gunicorn(app: str, port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(  # fixed argv, loopback port  # nosec B603
        [PY, "-m", "gunicorn", app, "--workers", "2", "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )


def wait_ready(url: str, seconds: int = 60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback http only  # nosec B310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server at {url} did not answer")


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def answers_200(url: str, headers: list[str]) -> bool:
    """wrk counts 3xx as success; a page that redirects (to sign-in, say) is not the page we meant to measure."""
    request = urllib.request.Request(url, headers=dict(h.split(": ", 1) for h in headers))  # noqa: S310 - loopback http
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=10) as response:
            return response.status == 200
    except OSError:
        return False


def rotation_script(paths: list[str]) -> Path:
    """A wrk Lua script that sends each request to a random one of ``paths`` (wrk's own headers, -H, still apply)."""
    digest = hashlib.sha256("\n".join(paths).encode()).hexdigest()[:12]
    script = VAR / f"rotate-{digest}.lua"
    listed = ",\n".join(json.dumps(path) for path in paths)  # JSON strings are valid Lua string literals here
    script.write_text(
        f"local paths = {{\n{listed}\n}}\n"
        "math.randomseed(os.time())\n"
        "request = function() return wrk.format(\"GET\", paths[math.random(#paths)]) end\n",
        encoding="utf-8",
    )
    return script


def run_wrk(url: str, duration: int, headers: list[str] = (), paths: list[str] = ()) -> dict:
    command = ["wrk", "-t2", "-c8", f"-d{duration}s", "--latency", "--timeout", "5s", url]
    if len(paths) > 1:
        command[1:1] = ["-s", str(rotation_script(paths))]
    for header in headers:
        command[1:1] = ["-H", header]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # wrk, fixed argv  # nosec B603
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if not {"50", "99"} <= latency.keys():  # no request finished within the run (wrk prints no distribution)
        latency = {"50": f"{duration}s", "99": f"{duration}s"}
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": to_ms(latency["50"]), "p99_ms": to_ms(latency["99"]),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def prepare(database_url: str, scale: str, skip_seed: bool) -> dict:
    """Migrate, seed at the chosen scale, collect static files, and pick the URLs and a signed-in session."""
    dev = env_for(database_url, production=False)
    manage("migrate", "--noinput", "-v0", env=dev)
    if not skip_seed:
        manage("seed_demo", "--scale", scale, "--no-progress", env=dev)
    manage("collectstatic", "--noinput", "-v0", env=env_for(database_url, production=True))
    argv = [PY, str(ROOT / "bench" / "probe.py")]
    probe = subprocess.run(argv, cwd=ROOT, env=dev, capture_output=True, text=True, check=True)  # fixed argv  # nosec B603
    return json.loads(probe.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL") or f"sqlite:///{VAR / 'portal.sqlite3'}")
    parser.add_argument("--scale", default="city", choices=["demo", "city", "province"])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page")
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--load", action=argparse.BooleanOptionalAction, default=None,
                        help="after the pages, 50 clients of mixed reads and writes for 60 s (bench/load.py); "
                             "default: on for PostgreSQL, off for SQLite")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk")
    VAR.mkdir(parents=True, exist_ok=True)
    started = time.time()
    probe = prepare(args.database, args.scale, args.skip_seed)
    servers = [
        gunicorn("portal.wsgi", PORTAL_PORT, env_for(args.database, production=True)),
        gunicorn("bench.hello.wsgi", FLOOR_PORT, {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.hello.settings"}),
    ]
    try:
        wait_ready(f"http://127.0.0.1:{PORTAL_PORT}/healthz")
        wait_ready(f"http://127.0.0.1:{FLOOR_PORT}/")
        floor = run_wrk(f"http://127.0.0.1:{FLOOR_PORT}/", args.duration)
        rows = []
        for page in probe["pages"]:
            headers = [f"Cookie: sessionid={page['session']}"] if page.get("session") else []
            url = f"http://127.0.0.1:{PORTAL_PORT}{page['path']}"
            for path in page["paths"][:5]:
                if not answers_200(f"http://127.0.0.1:{PORTAL_PORT}{path}", headers):
                    raise SystemExit(f"{page['name']} ({path}) does not answer 200; not measuring a redirect or an error")
            result = run_wrk(url, args.duration, headers, page["paths"])
            budget = CATEGORIES[page["category"]]
            ratio = result["rps"] / floor["rps"]
            queries = page["queries"]
            passed = (ratio >= budget["min_ratio"] and result["p99_ms"] <= budget["max_p99_ms"]
                      and result["errors"] == 0 and queries <= MAX_QUERIES)
            # A live session key stays out of the report; of the rotated URLs, their number.
            public = {k: v for k, v in page.items() if k not in ("session", "paths")} | {"urls": len(page["paths"])}
            rows.append({**public, **result, "ratio": ratio, "budget": budget, "pass": passed})
            print(f"{page['name']:<24} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:6.1f} ms  "
                  f"p99 {result['p99_ms']:6.1f} ms  {ratio:5.1%} of floor  {queries:2d} SQL  {'PASS' if passed else 'FAIL'}")
        load = None
        wants_load = args.database.startswith("postgres") if args.load is None else args.load
        if wants_load:
            sys.path.insert(0, str(ROOT))
            from bench.load import run_load  # the mixed read/write load against the server already running

            load = run_load(f"http://127.0.0.1:{PORTAL_PORT}", args.database, env_for(args.database, production=True))
            print(f"混合读写负载: {load['requests']} requests, {load['rps']} req/s, p99 {load['p99_ms']} ms, "
                  f"5xx {load['5xx']}, invariants {'hold' if load['invariants_ok'] else 'BROKEN'}")
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
    report = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"), "database": args.database.split(":")[0],
        "scale": args.scale, "duration_s": args.duration, "floor": floor, "pages": rows,
        "services": probe["services"], "data": probe["data"], "wall_s": round(time.time() - started, 1),
    }
    report["load"] = load
    write(report)
    failed = [r["name"] for r in rows if not r["pass"]] + [s["name"] for s in probe["services"] if not s["pass"]]
    if load and (load["5xx"] or not load["invariants_ok"]):
        failed.append("混合读写负载")
    print("budgets failed: " + ", ".join(failed) if failed else "every budget passed")
    return 1 if failed else 0


def write(report: dict):
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"{report['date'][:10]}-{report['database']}-{report['scale']}"
    (RESULTS / f"{stem}.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    floor = report["floor"]
    lines = [
        f"# Benchmark {report['date']} — {report['database']}, scale {report['scale']}",
        "",
        f"Data: {', '.join(f'{k} {v:,}' for k, v in report['data'].items())}. "
        f"Floor (bare Django, gunicorn 2 sync workers): {floor['rps']:.0f} req/s, p50 {floor['p50_ms']:.1f} ms, "
        f"p99 {floor['p99_ms']:.1f} ms. wrk -t2 -c8 -d{report['duration_s']}s per page.",
        "",
        "| page | category | req/s | p50 ms | p99 ms | ratio to floor | SQL | budget | result |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in report["pages"]:
        b = r["budget"]
        lines.append(
            f"| {r['name']} | {b['label']} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['ratio']:.1%} | "
            f"{r['queries']} | ≥{b['min_ratio']:.0%}, p99 ≤{b['max_p99_ms']} ms, ≤{MAX_QUERIES} SQL | "
            f"{'pass' if r['pass'] else 'FAIL'} |"
        )
    lines += ["", "| service | measured | budget | result |", "|---|---:|---|---|"]
    for s in report["services"]:
        # bench/services.py entries carry value, unit and budget text (times, rates, ratios); older ones only seconds.
        value, unit = s.get("value", s.get("seconds")), s.get("unit", "s")
        measured = "—" if value is None else f"{value:,.0f} {unit}" if "rate_per_s" in s else f"{value:,.2f} {unit}"
        budget = s.get("budget") or f"≤ {s['budget_s']} s"
        lines.append(f"| {s['name']} | {measured} | {budget} | {'pass' if s['pass'] else 'FAIL'} |")
    if report.get("load"):
        from bench.load import markdown_lines  # the "混合读写负载" section

        lines += markdown_lines(report["load"])
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS / stem}.json and .md")


if __name__ == "__main__":
    sys.exit(main())
