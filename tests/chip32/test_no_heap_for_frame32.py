# A request whose frame the chip's heap cannot hold, on the chip's own build behind its serial
# line (an emulated board at a heap that leaves no 15 KB block free): the Pi gets ENOMEM for that
# request at once, not the silence of a dropped frame; the chip restarts (a new interpreter, as
# machine.reset() empties the heap) and the client sends the request again once it answers.
# A long session's fragmented heap did this to a 7 KB OPEN_SETTINGS in the chain tests.
import pytest

from lightclient.chip.smp import frame
from lightclient.chip.smp import header as H
from lightclient.hwtest.emulator import EmulatedBoard
from lightclient.mcu import McuClient, McuError

HEAP = 64 * 1024      # the firmware boots and answers; a 15 KB frame never finds room


def test_an_unheld_frame_is_answered_enomem_the_chip_restarts_and_the_link_goes_on(tmp_path):
    b = EmulatedBoard(runtime="chip32", heap=HEAP, state_path=tmp_path / "lcstore.img")
    b.start()
    try:
        with McuClient(b.port, timeout=5.0) as mcu:
            assert mcu.echo("before") == "before"
            with pytest.raises(McuError) as e:
                mcu.request(H.OP_WRITE, H.GROUP_OS, H.OS_ECHO, {"d": "x" * 15000})
            assert e.value.rc == H.MGMT_ENOMEM and e.value.check == frame.NO_MEMORY
            assert mcu.echo("after") == "after"
    finally:
        b.stop()
    fw = [line for line in b.log if line.startswith("fw: ")]
    # sent twice (the client's one retry after the restart), refused twice, three boots
    assert sum(frame.NO_MEMORY in line for line in fw) == 2
    assert sum("EMULATOR READY ok" in line for line in fw) == 3
