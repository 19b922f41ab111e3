"""One running owner per directory: `scenarionet up` (and the real chain's `chain up`, when it
comes) hold an exclusive flock on `<dir>/<name>.lock` for as long as they run, so a second one on the
same directory is refused instead of orphaning the first.

The kernel drops a flock when its holder dies, however it dies (SIGKILL, power cut), so a lock
file left behind never blocks: the next owner takes it and reports the dead holder's record
(`previous`). The record (PID, start time, command) is only a description for people; the flock
is the lock. Linux / POSIX only (the Pi and the development machines).
"""

import datetime
import fcntl
import json
import os
import time

MAX_RECORD = 4096  # a lock file is ours, but read it bounded all the same


class LockBusy(Exception):
    """The directory is owned by a running process; `holder` is its record ({} if unreadable)."""

    def __init__(self, path, holder):
        self.path = path
        self.holder = holder
        pid = holder.get("pid")
        who = "pid %s" % pid if pid else "another process"
        if holder.get("command"):
            who += " (%s)" % holder["command"]
        if holder.get("started_at"):
            who += ", started at %s" % holder["started_at"]
        if pid and not pid_alive(pid):
            who += "; that pid is gone, so a process it started still holds the lock"
        Exception.__init__(self, "%s is in use by %s" % (os.path.dirname(path), who))


def pid_alive(pid):
    """True while `pid` runs (a zombie, exited but not reaped, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, another user's
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _read_record(fd):
    try:
        data = os.pread(fd, MAX_RECORD, 0)
        rec = json.loads(data) if data else {}
        return rec if isinstance(rec, dict) else {}
    except (OSError, ValueError):
        return {}  # torn or foreign content: a description only


def _flock_within(fd, patience_s):
    deadline = time.monotonic() + patience_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


class RunLock:
    """`with RunLock(directory, "scenarionet").acquire("scenarionet up"):` ... raises LockBusy."""

    def __init__(self, directory, name):
        self.path = os.path.join(os.path.abspath(directory), name + ".lock")
        self.fd = None
        self.previous = None  # the record of a dead holder whose lock file we took over

    def acquire(self, command, now=None, patience_s=0.5):
        """Take the lock or raise LockBusy naming the running holder. `now` (a datetime, UTC)
        is the start time recorded; the system clock when None. `patience_s`: how long a busy
        lock is retried, enough for `holder()`'s probe of someone else (microseconds) to pass,
        never for a running holder to go."""
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            _flock_within(fd, patience_s)
        except BlockingIOError:
            holder = _read_record(fd)
            os.close(fd)
            raise LockBusy(self.path, holder)
        except BaseException:
            os.close(fd)
            raise
        old = _read_record(fd)
        self.previous = old or None
        now = now or datetime.datetime.now(datetime.timezone.utc)
        record = {"pid": os.getpid(), "started_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "command": command}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        self.fd = fd
        return self

    def release(self):
        """Clear the record and drop the lock (the file stays: removing it would race with a
        process that opened it and waits to lock it)."""
        fd, self.fd = self.fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)
        except OSError:
            pass
        os.close(fd)  # drops the flock

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False


def holder(directory, name):
    """The record of the running holder of `<directory>/<name>.lock`, or None when nobody holds
    it (for `status`-like commands; takes and drops the lock to find out)."""
    lock = RunLock(directory, name)
    if not os.path.exists(lock.path):
        return None
    fd = os.open(lock.path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_record(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
