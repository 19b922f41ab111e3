# Regression tests for what fuzzing the Pi's side of the link found (fuzz target smp_answer):
# an answer from the chip that lacks a field, or carries an rc / err map of the wrong type, is a
# typed McuLinkError, never a KeyError or TypeError in the caller.
import pytest

from lightclient.mcu import McuClient, McuError, McuLinkError
from lightclient.chip.smp import frame, lc
from lightclient.chip.smp import header as H


class Replay:
    """A serial port whose chip answers with `answer` (payload dict) to the next request."""

    def __init__(self, answer, op, group, command, version):
        self.answer = answer
        self.key = (op + 1, group, command, version)
        self.out = b""
        self.in_waiting = 0

    def write(self, data):
        msg = frame.FrameDecoder().feed(data)[0]
        seq = H.unpack_header(msg).seq
        op, group, command, version = self.key
        self.out = frame.encode_packet(H.encode_message(
            H.Header(op, group, command, seq, 0, version), self.answer))

    def read(self, n):
        out, self.out = self.out, b""
        return out


CALLS = [("echo", ("x",), (H.OP_WRITE, H.GROUP_OS, H.OS_ECHO, H.V2), "r"),
         ("info", (), (H.OP_READ, H.GROUP_OS, H.OS_INFO, H.V2), "output"),
         ("public_key", (), (H.OP_READ, lc.GROUP, lc.PUBLIC_KEY, H.V1), "pub"),
         ("generate_key", (), (H.OP_WRITE, lc.GROUP, lc.GENERATE_KEY, H.V1), "pub"),
         ("sign", (b"m",), (H.OP_WRITE, lc.GROUP, lc.SIGN, H.V1), "sig")]


@pytest.mark.parametrize("name,args,key,field", CALLS)
@pytest.mark.parametrize("value", ["missing", None, 7, b"\x01" * 3, "text", [1]])
def test_an_answer_without_its_field_is_a_link_error(name, args, key, field, value):
    answer = {} if value == "missing" else {field: value}
    if field in ("r", "output") and isinstance(value, str) and value != "missing":
        return  # a valid answer
    with pytest.raises(McuLinkError):
        getattr(McuClient(Replay(answer, *key), timeout=2), name)(*args)


@pytest.mark.parametrize("answer", [{"rc": [1]}, {"rc": "8"}, {"rc": -1}, {"rc": True},
                                    {"err": [1]}, {"err": {"rc": [1], "group": 0}},
                                    {"err": {"rc": 3}}, {"err": {"rc": 3, "group": "x"}}])
def test_a_malformed_error_answer_is_a_link_error(answer):
    with pytest.raises(McuLinkError):
        McuClient(Replay(answer, H.OP_READ, lc.GROUP, lc.STATUS, H.V1), timeout=2).status()


def test_well_formed_errors_still_carry_their_codes():
    with pytest.raises(McuError) as e:
        McuClient(Replay({"err": {"group": lc.GROUP, "rc": lc.E_NO_KEY}}, H.OP_READ, lc.GROUP,
                         lc.STATUS, H.V2), timeout=2).status()
    assert (e.value.rc, e.value.group, e.value.check) == (lc.E_NO_KEY, lc.GROUP, "no_key")
    with pytest.raises(McuError) as e:
        McuClient(Replay({"rc": lc.V1_OFFSET + 2, "rsn": "r", "chk": "request"}, H.OP_READ,
                         lc.GROUP, lc.STATUS, H.V1), timeout=2).status()
    assert (e.value.rc, e.value.check) == (lc.E_DECODE, "request")
