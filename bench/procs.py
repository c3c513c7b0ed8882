"""Start and always stop the processes a benchmark needs (own process groups)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import requests

from bench import cpu

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


class Proc:
    def __init__(self, name: str, argv: list[str], env: dict, log: Path):
        self.name = name
        self.log_path = log
        self.log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stop() gets children
        )
        self.pid = self.popen.pid
        cpu.SESSIONS[self.pid] = "rq worker" if "worker" in name else "gunicorn"

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the group, wait, then SIGKILL whatever is left."""
        if self.popen.poll() is None:
            _signal_group(self.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout)
        _signal_group(self.pid, signal.SIGKILL)  # stragglers (forked horses)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(5)
        if not self.log.closed:
            self.log.close()

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class Processes:
    """Every process started by the run; `stop_all` is called from a finally."""

    def __init__(self, log_dir: Path, env: dict):
        self.log_dir = log_dir
        self.env = env
        self.procs: list[Proc] = []

    def start(self, name: str, argv: list[str], env: dict | None = None) -> Proc:
        log = self.log_dir / f"{name}.log"
        proc = Proc(name, argv, {**self.env, **(env or {})}, log)
        self.procs.append(proc)
        return proc

    def gunicorn(self, name: str, port: int, **env: str) -> Proc:
        argv = [
            str(BIN / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--no-control-socket",
            "wsgi:app",
        ]
        proc = self.start(name, argv, {"PORT": str(port), **env})
        wait_http(f"http://127.0.0.1:{port}/_bench/bare", proc)
        return proc

    def worker(self, name: str, *args: str) -> Proc:
        return self.start(name, [str(BIN / "python"), "worker.py", *args])

    def stop(self, proc: Proc) -> None:
        proc.stop()
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        while self.procs:
            self.procs.pop().stop()


def wait_http(url: str, proc: Proc, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{proc.name} did not answer {url}:\n{proc.tail()}")


def worker_pids(proc: Proc) -> list[int]:
    """The gunicorn worker processes under a master (children of its pid)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == proc.pid:
            pids.append(int(entry.name))
    return sorted(pids)
