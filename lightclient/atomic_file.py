# Files that survive a power cut at any instant with the old or the new content, never a mix or
# nothing: write a temporary file, fsync it, rename it over the old one, fsync the directory.
# The one helper of the Pi side for it (the trust store, the records cache, the write queue, the
# configuration, the local network's and the testers' files).

import os

from lightclient.chip.store.filedev import sync_dir

__all__ = ["sync_dir", "write_atomic"]


def write_atomic(path, data, keep_previous=False, mode=0o644):
    """Replace `path` with `data` atomically. keep_previous: the old content stays readable as
    `path`.prev (the trust store falls back to it when the current copy does not verify); it is
    linked before the rename, so `path` exists with the old content until the new one replaces
    it."""
    tmp = path + ".tmp"
    try:
        os.remove(tmp)   # a stale one would keep its own mode: a secret must be created 0600
    except FileNotFoundError:
        pass
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    if keep_previous and os.path.exists(path):
        prev = path + ".prev"
        try:
            os.remove(prev)
        except FileNotFoundError:
            pass
        os.link(path, prev)
    os.replace(tmp, path)
    sync_dir(os.path.dirname(path) or ".")
