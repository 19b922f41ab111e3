"""Long-running commands of a journey (scenarionet up, board emulate), started in the background
and stopped with SIGINT as a person would."""

import os
import select
import signal
import subprocess
import time


class Background:
    def __init__(self, cwd):
        self.cwd = cwd
        self.procs = []

    def spawn(self, argv, until, timeout, env=None):
        """Start a command; -> its stdout lines up to the first one `until` accepts."""
        p = subprocess.Popen(argv, cwd=self.cwd, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        self.procs.append(p)
        lines, buf = [], b""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if p.poll() is not None or left <= 0:
                err = p.stderr.read1(4000) if p.poll() is not None else b""
                raise AssertionError("%s did not come up: %r %r" % (argv[1:3], lines, err))
            r, _, _ = select.select([p.stdout], [], [], min(left, 1.0))
            if not r:
                continue
            buf += os.read(p.stdout.fileno(), 4096)
            *done, buf = buf.split(b"\n")
            for raw in done:
                lines.append(raw.decode())
                if until(lines[-1]):
                    return lines

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in self.procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
