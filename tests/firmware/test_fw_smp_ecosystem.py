# The SMP ecosystem's own tools against the board (issue 22): another vendor's group or command
# (smpmgr's Intercreate `ic upload` first) gets rc 8 and changes nothing; the light-client group's
# errors reach smpclient in SMP v2's {"err": {group, rc}} form; the first exchange after line
# noise gets its answer (the frame decoder resynchronises on the next delimiter).
import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
import serial
from hypothesis import given, settings
from hypothesis import strategies as st
from smp import error as smperr
from smp import header as smph
from smp import message as smpmsg
from smp.user import intercreate as smpic
from smpclient import SMPClient
from smpclient.generics import error_v1, error_v2
from smpclient.transport.serial import SMPSerialTransport

from lightclient.chip.app import boot
from lightclient.mcu import McuClient
from lightclient.chip.store.filedev import RamBlockDevice
from lightclient.chip.smp import frame, lc
from lightclient.chip.smp import header as H
from lightclient.hwtest.emulator import EmulatedBoard

INFO = {"board": "test", "chip": "esp32"}

# Groups the ecosystem defines (smp.header.GroupId, Zephyr's mcumgr list, smp's UserGroupId) and
# the low user range vendors count from (65 Nordic FMFU, 66 Nordic SUIT / IronSide SE).
FOREIGN_GROUPS = sorted(({int(g) for g in smph.GroupId} | {int(g) for g in smph.UserGroupId}
                         | {64, 65, 66, 67, 100, 0xFFFF}) - {H.GROUP_OS})


def _fw():
    return boot.build(RamBlockDevice(4096, 16), b"\x07" * 32, INFO, os.urandom)


def _ask(fw, op, group, cmd, payload, version=H.V2, seq=3):
    rsp = fw.handle(H.encode_message(H.Header(op, group, cmd, seq, 0, version), payload))
    rh, p = H.decode_message(rsp)
    assert (rh.op, rh.group, rh.command, rh.seq) == (op + 1, group, cmd, seq)
    return p


def test_our_group_id_is_clear_of_the_ecosystems():
    assert lc.GROUP not in FOREIGN_GROUPS and lc.GROUP != H.GROUP_OS
    assert lc.GROUP > 0xFF  # far from the low user range vendors count from
    assert lc.LEGACY_GROUP == smph.UserGroupId.INTERCREATE == 64


def test_an_intercreate_upload_is_not_supported_and_makes_no_key():
    fw = _fw()
    gen = fw.device.store.generation
    req = smpic.ImageUploadWriteRequest(off=0, data=b"\x00" * 64, image=0, len=64,
                                        sequence=5)
    rh, p = H.decode_message(fw.handle(bytes(req)))
    assert (rh.op, rh.group, rh.command, rh.seq) == (H.OP_WRITE_RSP, 64, 1, 5)
    assert p["rc"] == H.MGMT_ENOTSUP == smperr.MGMT_ERR.ENOTSUP
    st = _ask(fw, H.OP_READ, lc.GROUP, lc.STATUS, {})
    assert st["has_key"] is False and st["pub"] is None and st["handled"] == 1
    assert fw.device.store.generation == gen


@pytest.mark.parametrize("group", FOREIGN_GROUPS)
def test_every_foreign_group_and_command_is_not_supported_without_side_effect(group):
    fw = _fw()
    gen = fw.device.store.generation
    for op in (H.OP_READ, H.OP_WRITE):
        for cmd in (0, 1, 2, 3, 4, 5, 6, 7, 8, 255):
            for payload in ({}, {"force": True, "off": 0, "data": b"x"}):
                for version in (H.V1, H.V2):
                    p = _ask(fw, op, group, cmd, payload, version)
                    assert p["rc"] == H.MGMT_ENOTSUP and "err" not in p
    # a malformed payload does not change the answer: the group is looked up first
    h = H.Header(H.OP_WRITE, group, 1, 4, 3).pack() + b"\xff\xff\xff"
    assert H.decode_message(fw.handle(h))[1]["rc"] == H.MGMT_ENOTSUP
    assert fw.handled == 0 and fw.device.pub is None
    assert fw.device.store.generation == gen


def test_unknown_commands_of_our_groups_are_not_supported():
    fw = _fw()
    first_unused = max(fw._group(lc.GROUP)) + 1     # the group's next command id, not yet ours
    for group, cmd in ((lc.GROUP, first_unused), (lc.GROUP, 255), (H.GROUP_OS, 3),
                       (H.GROUP_OS, 255)):
        assert _ask(fw, H.OP_WRITE, group, cmd, {"force": True})["rc"] == H.MGMT_ENOTSUP
    assert fw.device.pub is None and fw.handled == 0


def test_group_errors_take_the_form_of_the_request_version():
    fw = _fw()
    v2 = _ask(fw, H.OP_READ, lc.GROUP, lc.PUBLIC_KEY, {}, H.V2)
    assert v2 == {"err": {"group": lc.GROUP, "rc": lc.E_NO_KEY}}
    v1 = _ask(fw, H.OP_READ, lc.GROUP, lc.PUBLIC_KEY, {}, H.V1)
    assert v1["rc"] == lc.V1_OFFSET + lc.E_NO_KEY and v1["chk"] and v1["rsn"]


# --- line noise -----------------------------------------------------------------------------

def _echo_frame(text, seq=7):
    return frame.encode_packet(H.encode_message(H.Header(H.OP_WRITE, 0, 0, seq), {"d": text}))


@pytest.mark.parametrize("noise", [b"boot: rst:0x1 (POWERON)", b"\x00\xff\x13" * 3, b"z" * 300,
                                   b"\x06", b"\x06\x09QUJD", b"\x04\x14AAAA", b"\r\x06\x06"])
@pytest.mark.parametrize("step", [1, 5, 4096])
def test_a_frame_right_after_noise_without_a_newline_gets_through(noise, step):
    for text in ("hi", "y" * 250):  # one line, and a frame of several lines
        good = _echo_frame(text)
        data = noise + good
        d = frame.FrameDecoder()
        got = []
        for i in range(0, len(data), step):
            got += d.feed(data[i:i + step])
        assert got == [H.encode_message(H.Header(H.OP_WRITE, 0, 0, 7), {"d": text})]


def test_a_torn_line_is_dropped_and_the_next_frame_still_gets_through():
    a = _echo_frame("first")
    b = _echo_frame("second", 8)
    d = frame.FrameDecoder()
    got = d.feed(a[:15] + b)  # the first frame lost its tail and its newline
    assert [H.decode_message(m)[1]["d"] for m in got] == ["second"]


# --- on the emulated board, with the ecosystem's tools ---------------------------------------

@pytest.fixture(scope="module")
def board():
    with EmulatedBoard("esp32c3-devkitm") as b:
        yield b


class _LcPublicKeyRead(smpmsg.ReadRequest):
    _GROUP_ID = lc.GROUP
    _COMMAND_ID = lc.PUBLIC_KEY


class _LcPublicKeyResponse(smpmsg.ReadResponse):
    _GROUP_ID = lc.GROUP
    _COMMAND_ID = lc.PUBLIC_KEY
    pub: bytes


class _LcPublicKeyErrorV1(smperr.ErrorV1):
    _GROUP_ID = lc.GROUP
    _COMMAND_ID = lc.PUBLIC_KEY


class _LcPublicKeyErrorV2(smperr.ErrorV2[int]):
    _GROUP_ID = lc.GROUP
    _COMMAND_ID = lc.PUBLIC_KEY


class LcPublicKey(_LcPublicKeyRead):
    _Response = _LcPublicKeyResponse
    _ErrorV1 = _LcPublicKeyErrorV1
    _ErrorV2 = _LcPublicKeyErrorV2


class IcUpload(smpic.ImageUploadWriteRequest):
    _Response = smpic.ImageUploadWriteResponse
    _ErrorV1 = smpic.ErrorV1
    _ErrorV2 = smpic.ErrorV2


async def _smpclient_session(port):
    async with SMPClient(SMPSerialTransport(), port, timeout_s=10) as client:
        return (await client.request(LcPublicKey()),
                await client.request(IcUpload(off=0, data=b"\x00" * 32, image=0, len=32)))


def test_smpclient_parses_our_group_errors_and_gets_not_supported_for_intercreate(board):
    key_error, upload = asyncio.run(asyncio.wait_for(_smpclient_session(board.port), 60))
    assert error_v2(key_error), key_error
    assert key_error.err.group == lc.GROUP and key_error.err.rc == lc.E_NO_KEY
    assert error_v1(upload) and upload.rc == smperr.MGMT_ERR.ENOTSUP
    with McuClient(board.port) as mcu:
        assert mcu.status()["has_key"] is False


def test_smpmgr_ic_upload_gets_not_supported_and_no_key_is_made(board, tmp_path):
    image = tmp_path / "image.bin"
    image.write_bytes(os.urandom(300))
    smpmgr = Path(sys.executable).with_name("smpmgr")
    r = subprocess.run([str(smpmgr), "--port", board.port, "--timeout", "10", "ic", "upload",
                        str(image)], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "MGMT_ERR.ENOTSUP: 8" in out, out  # smpmgr shows the board's answer
    with McuClient(board.port) as mcu:
        st = mcu.status()
        assert st["has_key"] is False and st["pub"] is None


def test_the_first_exchange_after_line_noise_is_answered(board):
    port = serial.Serial(board.port, 115200, timeout=0.05)
    try:
        port.write(b"\x00\x7f garbage from a wrong baud rate \xfe\xfd" * 4)  # and no newline
        with McuClient(port, timeout=5.0) as mcu:
            assert mcu.echo("after the noise") == "after the noise"
            link = mcu.status()["link"]
            assert link["noise_lines"] >= 1
    finally:
        port.close()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["hi", "z" * 200]), st.integers(1, 64))
def test_any_noise_before_a_frame_costs_nothing_but_the_noise(noise, text, step):
    good = H.encode_message(H.Header(H.OP_WRITE, 0, 0, 7), {"d": text})
    data = noise + frame.encode_packet(good)
    d = frame.FrameDecoder()
    got = []
    for i in range(0, len(data), step):
        got += d.feed(data[i:i + step])
    assert got[-1:] == [good]
