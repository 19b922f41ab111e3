# A continuation line's base64 on the chip's build is decoded in C (lccrypto.b64_decode_into, into
# the decoder's one reused buffer): it must accept exactly what frame.decode_line accepts (the
# canonical encoding) and give the same bytes, refuse the rest with frame_base64, never write
# past its buffer, and the whole decoder must still take a framed message apart, CR-terminated
# lines and noise included, as CPython does.
import binascii
import hashlib

from lightclient.chip.core.errors import DecodeError
from lightclient.chip.smp import frame
from tests.chip32.chip32 import run


def _cases():
    data = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(8))
    good = [binascii.b2a_base64(data[:n], newline=False) for n in range(1, 100, 1)]
    bad = [b"", b"QQ", b"QQ=", b"QR==", b"QUJ=", b"====", b"Q===", b"QQ==QUJD", b"QU=D",
           b"QUJD\x00AAA", b"QUJD!AAA", b"QUJD AAA", b"-_-_", b"QUJDRA==" + b"QUJD"]
    return good + [b"A" * 132] + bad


def _python(body):
    try:
        return frame.decode_line(frame.CONT + body)[1]
    except DecodeError as e:
        assert e.check == "frame_base64"
        return None


def test_native_base64_accepts_exactly_the_canonical_lines():
    cases = _cases()
    want = [_python(b) for b in cases]
    assert sum(w is None for w in want) == 14
    lines = ["import lccrypto", "buf = bytearray(99)"]
    for b in cases:
        line = frame.CONT + b
        lines.append("try:\n    n = lccrypto.b64_decode_into(buf, %r, 2, %d)\n"
                     "    print(bytes(buf[:n]).hex())\nexcept ValueError:\n    print('bad')"
                     % (line, len(line)))
    lines.append("try:\n    lccrypto.b64_decode_into(bytearray(2), b'QUJD', 0, 4)\n"
                 "except ValueError:\n    print('small')")
    lines.append("try:\n    lccrypto.b64_decode_into(buf, b'QUJD', 1, 9)\n"
                 "except ValueError:\n    print('range')")
    # the decoder end to end: a 3 KB message framed, its lines CR-terminated, with console text
    msg = bytes(range(256)) * 12
    wire = frame.encode_packet(msg).replace(b"\n", b"\r\n")
    wire = b"boot: hello\n" + wire
    lines.append("from lightclient.chip.smp import frame")
    lines.append("d = frame.FrameDecoder(4096)")
    lines.append("w = %r" % wire)
    lines.append("out = []\nfor i in range(0, len(w), 100):\n    out += d.feed(w[i:i + 100])")
    lines.append("print(len(out), bytes(out[0]) == bytes(range(256)) * 12, d.stats['dropped'])")
    # a non-canonical continuation line drops that frame (frame_base64) and the next one passes
    bad = frame.encode_packet(msg).split(b"\n")
    bad[1] = bad[1][:-1] + b"!"
    lines.append("w = %r" % (b"\n".join(bad) + frame.encode_packet(msg)))
    lines.append("out = d.feed(w)")
    lines.append("print(len(out), d.last_error.check)")
    p = run("\n".join(lines), heap="512K")  # the script itself (-c) is in the heap
    assert p.returncode == 0, p.stderr
    out = p.stdout.split("\n")
    got = [None if x == "bad" else bytes.fromhex(x) for x in out[:len(cases)]]
    assert got == want
    assert out[len(cases):len(cases) + 4] == ["small", "range", "1 True 0", "1 frame_base64"]
