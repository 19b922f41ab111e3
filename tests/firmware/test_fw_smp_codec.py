# The SMP codec (lightclient/chip/smp) against the smp package's own encoder/decoder (the reference
# implementation smpclient uses), the pinned vectors of docs/smp-link.md, and fuzzing: the frame
# decoder and the message decoder never raise anything but DecodeError, and garbage never stops
# the next good frame from getting through.
import os
from pathlib import Path

from crcmod.predefined import mkPredefinedCrcFun
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smp import header as smph
from smp import packet as smppacket

from lightclient.chip.core.errors import DecodeError
from lightclient.chip.smp import frame, lc
from lightclient.chip.smp import header as H
from lightclient.hwtest import micropython

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# docs/smp-link.md, "Test vectors": an echo of "hello" (SMP v2, sequence 7), framed; the bytes
# are the smp package's (EchoWriteRequest(d="hello", sequence=7), smp.packet.encode).
ECHO_REQUEST = bytes.fromhex("0a00000900000700a161646568656c6c6f")
ECHO_FRAME = b"\x06\x09ABMKAAAJAAAHAKFhZGVoZWxsb4vC\n"


def test_vectors_of_the_spec():
    h = H.Header(H.OP_WRITE, H.GROUP_OS, H.OS_ECHO, 7)
    assert H.encode_message(h, {"d": "hello"}) == ECHO_REQUEST
    assert frame.encode_packet(ECHO_REQUEST) == ECHO_FRAME
    assert frame.FrameDecoder().feed(ECHO_FRAME) == [ECHO_REQUEST]
    assert frame.crc16(b"123456789") == 0x31C3  # CRC-16/XMODEM check value
    rsp = H.encode_message(H.response_header(h), {"r": "hello"})
    assert rsp == bytes.fromhex("0b00000900000700a161726568656c6c6f")
    assert frame.encode_packet(rsp) == b"\x06\x09ABMLAAAJAAAHAKFhcmVoZWxsbw1+\n"
    status = H.encode_message(H.Header(H.OP_READ, lc.GROUP, lc.STATUS, 9), {})
    assert status == bytes.fromhex("080000014c430900a0")
    assert frame.encode_packet(status) == b"\x06\x09AAsIAAABTEMJAKAoJw==\n"
    assert lc.sign_message("request", b"hi") == b"mycroft-lc/sign/v1\x00request\x00hi"


@FUZZ
@given(st.binary(min_size=8, max_size=3000), st.sampled_from([127, 128, 64, 16]))
def test_packets_match_the_smp_package(msg, line):
    ours = frame.encode_packet(msg, line)
    theirs = b"".join(smppacket.encode(msg, line_length=line))
    assert ours == theirs
    assert all(len(x) <= line for x in ours.splitlines(keepends=True))
    # and each side decodes the other's
    dec = smppacket.decode()
    next(dec)
    got = None
    for ln in theirs.splitlines(keepends=True):
        try:
            dec.send(ln)
        except StopIteration as e:
            got = e.value
    assert got == msg
    lines = [x for x in theirs.split(b"\n") if x]
    assert frame.decode_packet(lines, 4000) == msg


@FUZZ
@given(st.binary(min_size=0, max_size=2000))
def test_crc_is_xmodem(data):
    assert frame.crc16(data) == mkPredefinedCrcFun("xmodem")(data)


@FUZZ
@given(st.integers(0, 3), st.integers(0, 1), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF),
       st.integers(0, 255), st.integers(0, 255))
def test_header_matches_the_smp_package(op, version, length, group, seq, cmd):
    ours = H.Header(op, group, cmd, seq, length, version).pack()
    if group in (0, 1, 8, 9, 11):  # groups whose command ids the smp package validates
        try:
            theirs = bytes(smph.Header(smph.OP(op), smph.Version(version), smph.Flag(0), length,
                                       group, seq, cmd))
        except ValueError:
            theirs = None
    else:
        theirs = bytes(smph.Header(smph.OP(op), smph.Version(version), smph.Flag(0), length,
                                   group, seq, cmd))
    if theirs is not None:
        assert ours == theirs
    back = H.unpack_header(ours)
    assert (back.op, back.version, back.length, back.group, back.seq, back.command) == (
        op, version, length, group, seq, cmd)


@FUZZ
@given(st.lists(st.binary(max_size=300), max_size=20), st.integers(1, 64))
def test_frame_decoder_survives_anything_and_resyncs(chunks, step):
    dec = frame.FrameDecoder(2048, timeout_ms=1000)
    t = 0
    for c in chunks:
        for i in range(0, len(c), step):
            for m in dec.feed(c[i:i + step], t):
                H.unpack_header(m)  # whatever it yields passed length and CRC checks
            t += 1
    # A newline ends whatever junk line was open; the next good frame gets through.
    msg = H.encode_message(H.Header(H.OP_WRITE, 0, 0, 1), {"d": "ok"})
    assert dec.feed(b"\n" + frame.encode_packet(msg), t) == [msg]


def _lines():
    heads = st.sampled_from([frame.START, frame.CONT, b"", b"\x06"])
    chunk = st.builds(lambda d, p: p + frame._b64encode(d), st.binary(max_size=90), heads)
    return st.lists(st.one_of(chunk, st.binary(max_size=140)), min_size=0, max_size=6)


@FUZZ
@given(_lines())
def test_strict_packet_decoder_raises_only_decode_errors(lines):
    try:
        msg = frame.decode_packet(lines, 512)
    except DecodeError:
        return
    assert len(msg) >= 8 and len(msg) <= 512


@FUZZ
@given(st.binary(max_size=400))
def test_message_decoder_raises_only_decode_errors(data):
    try:
        h, p = H.decode_message(data, 300)
    except DecodeError:
        return
    assert isinstance(p, dict) and h.length == len(data) - 8


def test_oversized_and_stalled_frames_are_dropped_without_waiting_for_them():
    dec = frame.FrameDecoder(1024, timeout_ms=100)
    big = frame.encode_packet(os.urandom(5000))
    assert dec.feed(big, 0) == []
    assert dec.last_error.check == "frame_too_large"
    msg = H.encode_message(H.Header(H.OP_READ, 0, 6, 3), {})
    pkt = frame.encode_packet(msg + b"\x00" * 200)  # two lines
    first, rest = pkt.split(b"\n", 1)
    assert dec.feed(first + b"\n", 1000) == []
    assert dec.feed(rest, 1500) == []  # the continuation arrives after the frame timed out
    assert dec.stats["timeouts"] >= 1
    assert dec.feed(frame.encode_packet(msg), 1600) == [msg]


def test_codec_is_the_same_inside_micropython():
    script = (
        "from lightclient.chip.smp import frame, header as H\n"
        "m = H.encode_message(H.Header(H.OP_WRITE, 0, 0, 7), {'d': 'hello'})\n"
        "print(m.hex())\n"
        "print(frame.encode_packet(m + bytes(range(200))).hex())\n"
        "d = frame.FrameDecoder()\n"
        "print(d.feed(b'junk\\n' + frame.encode_packet(m), 0)[0].hex())\n"
        "print(frame.crc16(b'123456789'))\n")
    smp_dir = Path(frame.__file__).parent
    files = {"/repo/lightclient/smp/" + p.name: p.read_bytes() for p in smp_dir.glob("*.py")}
    r = micropython.run_script(script, extra_files=files, vectors="none")
    r.check()
    out = r.stdout.split()
    assert bytes.fromhex(out[0]) == ECHO_REQUEST
    assert bytes.fromhex(out[1]) == frame.encode_packet(ECHO_REQUEST + bytes(range(200)))
    assert bytes.fromhex(out[2]) == ECHO_REQUEST
    assert out[3] == str(0x31C3)


@FUZZ
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \x00",
               max_size=24))
def test_line_base64_is_strict_and_canonical(text):
    import base64
    import binascii

    body = text.encode()
    try:
        ref = base64.b64decode(body, validate=True)
        ok = len(body) > 0 and base64.b64encode(ref) == body
    except binascii.Error:
        ok = False
    try:
        is_start, data = frame.decode_line(frame.START + body)
    except DecodeError:
        assert not ok
        return
    assert ok and is_start and data == ref
