"""A process supervisor for the shop's two workers, as systemd or a Procfile
runner would be: a worker that exits on its own is counted and started again.

Workers the fault injector kills are its business (it restarts them itself);
any other exit is a worker that could not ride out a fault (issue #13, finding
1: "found an unhandled exception, quitting" after a Redis restart), and the
audit reports how many there were.
"""

from __future__ import annotations

import threading


class Supervisor(threading.Thread):
    def __init__(self, stack, injector, log):
        super().__init__(daemon=True)
        self.stack = stack
        self.injector = injector
        self.log = log
        self.exits = 0
        self.stop_flag = threading.Event()

    def run(self) -> None:
        while not self.stop_flag.wait(1.0):
            self.check()

    def check(self) -> None:
        with self.injector.workers_lock:
            for n, proc in enumerate(self.stack.workers):
                if proc.alive():
                    continue
                self.exits += 1
                code = proc.popen.returncode
                self.log(f"  ! worker-{n} exited by itself ({code}); restarting it")
                self.stack.workers[n] = self.stack.start_worker(n)
