# What the firmware does when the chip's fixed heap runs out while a request is decoded, and
# that the SMP payload is decoded in place (bench/chip_bench.py measures the heap itself).
import os

from lightclient.chip.app import boot
from lightclient.chip.app import firmware as fw_module
from lightclient.chip.smp import frame, lc
from lightclient.chip.smp import header as H
from lightclient.chip.store.filedev import RamBlockDevice

INFO = {"board": "test", "chip": "esp32"}


def test_running_out_of_heap_while_decoding_a_request_is_answered_not_raised(monkeypatch):
    # A 9 KB update that does not fit the heap must cost the Pi an ENOMEM answer, not the
    # firmware its UART loop (feed raising kills main.serve).
    f = boot.build(RamBlockDevice(4096, 16), b"\x07" * 32, INFO, os.urandom)

    def no_room(msg, max_bytes=None, view_min=None):
        raise MemoryError("memory allocation failed")
    monkeypatch.setattr(fw_module.H, "decode_message", no_room)
    req = H.Header(H.OP_WRITE, lc.GROUP, lc.SUBMIT_UPDATE, 9, 1).pack() + b"\xa0"
    out = f.feed(frame.encode_packet(req), 0)
    msgs = frame.FrameDecoder().feed(out, 0)
    assert len(msgs) == 1
    monkeypatch.undo()
    rh, p = H.decode_message(msgs[0])
    assert rh.seq == 9 and p["rc"] == H.MGMT_ENOMEM


def test_the_payload_is_decoded_from_the_message_itself(monkeypatch):
    # No copy of the body: the CBOR decoder gets the message and the offset of the payload.
    seen = []
    real = H.cbor.loads_prefix

    def spy(data, offset=0, *a):
        seen.append((data, offset))
        return real(data, offset, *a)
    monkeypatch.setattr(H.cbor, "loads_prefix", spy)
    msg = H.encode_message(H.Header(H.OP_WRITE, 64, 5, 1), {"update": b"u" * 900, "now_ns": 7})
    assert H.decode_message(msg)[1] == {"update": b"u" * 900, "now_ns": 7}
    assert seen == [(msg, H.HEADER_SIZE)] and seen[0][0] is msg


def test_a_frame_the_heap_cannot_hold_is_dropped_and_the_link_goes_on(monkeypatch):
    dec = frame.FrameDecoder()
    req = H.Header(H.OP_READ, 0, 0, 3, 1).pack() + b"\xa0"
    real = frame._Assembly

    def no_room(*a):
        raise MemoryError("memory allocation failed")
    monkeypatch.setattr(frame, "_Assembly", no_room)
    assert dec.feed(frame.encode_packet(req), 0) == []
    assert dec.stats["dropped"] == 1 and dec.last_error.check == "frame_no_memory"
    assert dec.take_unheld() == (req[:H.HEADER_SIZE], len(req) + 2)
    assert dec.take_unheld() is None                 # once
    monkeypatch.setattr(frame, "_Assembly", real)
    assert dec.feed(frame.encode_packet(req), 0) == [req]


def test_a_request_whose_frame_the_heap_cannot_hold_is_answered_enomem_then_the_chip_restarts(
        monkeypatch):
    # Silence would leave the Pi waiting out its timeout (what a long session's fragmented heap
    # did to a 7 KB OPEN_SETTINGS): the chip answers ENOMEM for that very request (its sequence
    # number, from the start line), runs none of it, and asks its shell for a reboot, the only
    # way a fragmented heap comes back in one piece.
    f = boot.build(RamBlockDevice(4096, 16), b"\x07" * 32, INFO, os.urandom)

    def no_room(*a):
        raise MemoryError("memory allocation failed")
    monkeypatch.setattr(frame, "_Assembly", no_room)
    ran = []
    monkeypatch.setattr(f.device, "submit_update", lambda *a: ran.append(a))
    req = H.encode_message(H.Header(H.OP_WRITE, lc.GROUP, lc.SUBMIT_UPDATE, 77, 1),
                           {"update": b"u" * 7000, "now_ns": 1})
    out = f.feed(frame.encode_packet(req), 0)
    monkeypatch.undo()
    (msg,) = frame.FrameDecoder().feed(out, 0)
    rh, p = H.decode_message(msg)
    assert (rh.op, rh.group, rh.command, rh.seq) == (H.OP_WRITE + 1, lc.GROUP,
                                                     lc.SUBMIT_UPDATE, 77)
    assert p["rc"] == H.MGMT_ENOMEM and p["chk"] == frame.NO_MEMORY
    assert f.reset_pending and ran == []


def test_the_message_is_the_buffer_its_frame_was_assembled_in():
    # No copy of a 9 KB request between the frame and the firmware: one buffer per frame, of
    # the message's size, handed on as it is.
    req = H.encode_message(H.Header(H.OP_WRITE, 64, 5, 1), {"update": b"u" * 9000, "now_ns": 7})
    (msg,) = frame.FrameDecoder().feed(frame.encode_packet(req), 0)
    assert msg == req and isinstance(msg, bytearray) and len(msg) == len(req)


def test_the_update_reaches_the_device_as_a_view_into_the_request(monkeypatch):
    # The 9 KB update is not copied out of the request: one buffer for both.
    f = boot.build(RamBlockDevice(4096, 16), b"\x07" * 32, INFO, os.urandom)
    got = []

    def capture(data, now_ns):
        got.append(data)
        raise lc.LinkError("test", "stop here")
    monkeypatch.setattr(f.device, "submit_update", capture)
    update = bytes(range(256)) * 8
    req = H.encode_message(H.Header(H.OP_WRITE, lc.GROUP, lc.SUBMIT_UPDATE, 4),
                           {"update": update, "now_ns": 1})
    f.feed(frame.encode_packet(req), 0)
    assert len(got) == 1 and isinstance(got[0], memoryview) and bytes(got[0]) == update
    # a short byte string, and every other field, stays bytes
    assert not isinstance(H.decode_message(req, None, 4096)[1]["update"], memoryview)


def test_only_micropython_runs_the_full_collections(monkeypatch):
    # The chip's heap needs them (before each command, a boot's state, an update's commit); on
    # CPython they freed nothing and cost ~80 ms each in a test process (minutes of the suite).
    import sys

    from lightclient.chip.app import common
    assert common.FULL_GC == (sys.implementation.name == "micropython")
    calls = []
    monkeypatch.setattr(fw_module.gc, "collect", lambda: calls.append(1))
    fw = boot.build(RamBlockDevice(4096, 16), b"\x07" * 32, INFO, os.urandom)
    for seq in range(3):
        rsp = fw.handle(H.encode_message(H.Header(H.OP_READ, lc.GROUP, lc.STATUS, seq, 0), {}))
        assert H.decode_message(rsp)[0].seq == seq
    assert calls == []


def test_the_pi_sends_the_request_again_once_the_restarted_chip_answers(monkeypatch):
    # The Pi's side of the above: an ENOMEM for an unheld frame is not the request's refusal
    # (none of it ran); the client waits for the restarted chip (an echo) and sends it again.
    from lightclient.mcu import McuClient
    from tests.chiplink import Wire

    flash = RamBlockDevice(4096, 16)
    wire = Wire(boot.build(flash, b"\x07" * 32, INFO, os.urandom))
    restarts = []
    feed = Wire.write

    def write(self, data):           # the shell: a reset is a new firmware over the same flash
        feed(self, data)
        if self.fw.reset_pending:
            restarts.append(len(data))
            self.fw = boot.build(flash, b"\x07" * 32, INFO, os.urandom)
    monkeypatch.setattr(Wire, "write", write)
    real, failed = frame._Assembly, []

    def once_no_room(first, max_message):    # the first large frame (the echo) finds no heap
        if not failed and ((first[0] << 8) | first[1]) > 200:
            failed.append(1)
            raise MemoryError("memory allocation failed")
        return real(first, max_message)
    monkeypatch.setattr(frame, "_Assembly", once_no_room)
    mcu = McuClient(wire, timeout=2.0)
    assert mcu.echo("x" * 250) == "x" * 250
    assert failed == [1] and len(restarts) == 1


def test_an_answer_whose_framing_runs_out_of_heap_becomes_enomem(monkeypatch):
    # The Python framing (an image without lccrypto) writes the lines over the answer and makes
    # a little a line: a MemoryError half way has overwritten part of it, so the Pi gets ENOMEM
    # for that sequence number (never garbage, never silence) and the chip restarts.
    f = boot.build(RamBlockDevice(4096, 16), b"\x07" * 32, INFO, os.urandom)
    req = frame.encode_packet(H.encode_message(H.Header(H.OP_READ, lc.GROUP, lc.STATUS, 21, 1),
                                               {}))
    monkeypatch.setattr(frame, "_encode_native", None)
    framing, lines = [False], []
    real_b64, real_in_place = frame._b64encode, frame.encode_in_place

    def b64(data):
        if framing[0]:
            lines.append(len(data))
            if len(lines) == 2:                # the answer's second line
                raise MemoryError("memory allocation failed")
        return real_b64(data)

    def in_place(buf, off, *a):
        framing[0] = True
        try:
            return real_in_place(buf, off, *a)
        finally:
            framing[0] = False
    monkeypatch.setattr(frame, "_b64encode", b64)
    monkeypatch.setattr(frame, "encode_in_place", in_place)
    out = f.feed(req, 0)
    monkeypatch.undo()
    assert len(lines) == 2                     # it failed half way, a line already written
    msgs = frame.FrameDecoder().feed(out, 0)
    assert len(msgs) == 1 and f.reset_pending
    rh, p = H.decode_message(msgs[0])
    assert rh.seq == 21 and rh.op == H.OP_READ + 1 and p["rc"] == H.MGMT_ENOMEM
