# Power cuts inside the store's commit, end to end: the emulated board mirrors every flash erase and
# program to its image file as it happens (with a slow flash here, 3 ms per step), the test cuts
# the power (SIGKILL) once the commit of an update has started writing, and the board that boots
# from what was left holds the old trusted state or the new one, never a mix, with a clean store,
# its key and a cached record that matches its state.
import os
import time

from lightclient.mcu import McuClient
from lightclient.chip.smp import frame, lc
from lightclient.chip.smp import header as H
from lightclient.hwtest.emulator import EmulatedBoard

import fwscenario


def _mtime(p):
    return os.stat(p).st_mtime_ns


def test_cut_during_commit_leaves_old_or_new(tmp_path):
    img = tmp_path / "lcstore.img"
    board = EmulatedBoard("esp32-devkitc", img, flash_delay_ms=3)
    board.start()
    try:
        with McuClient(board.port, timeout=10) as mcu:
            pub = mcu.generate_key()
            sc = fwscenario.Scenario(pub)
            mcu.set_checkpoint(sc.checkpoint(1), uuid=sc.uuid)
            mcu.submit_update(sc.update(1, 2), sc.now(2))
        torn = 0
        outcomes = []
        for attempt in range(16):   # a loaded machine can cut late: up to 16 tries
            with McuClient(board.port, timeout=10) as mcu:
                h = mcu.status()["height"]
                pre, t_pre = img.read_bytes(), _mtime(img)
                mcu._ser.write(frame.encode_packet(H.encode_message(
                    H.Header(H.OP_WRITE, lc.GROUP, lc.SUBMIT_UPDATE, 1),
                    {"update": sc.update(h, h + 1), "now_ns": sc.now(h + 1)})))
                mcu._ser.flush()
                deadline = time.monotonic() + 20
                # the commit has begun once the image's bytes change (an erase of a sector
                # already erased changes its time, not its bytes)
                while time.monotonic() < deadline and (_mtime(img) == t_pre
                                                       or img.read_bytes() == pre):
                    time.sleep(0.0005)
                time.sleep(0.004 * (attempt % 4))  # spread the cut over the commit
            board.power_cut()
            cut = img.read_bytes()
            board.start()
            with McuClient(board.port, timeout=10) as mcu:
                st = mcu.status()
                assert st["store_ok"], st
                assert st["height"] in (h, h + 1)
                assert st["pub"] == pub
                assert mcu.store_check()["ok"] is True
                s = mcu.settings()
                assert s["record"] == sc.record and s["height"] <= st["height"]
                if st["height"] == h + 1:
                    assert s["height"] == h + 1  # the record came with the state: one commit
            outcomes.append((h, st["height"], cut != pre))
            if st["height"] == h and cut != pre:
                torn += 1  # flash half-written by a commit that never sealed: the old state
            if torn >= 2:
                break
        assert torn >= 1, outcomes
    finally:
        board.stop()
