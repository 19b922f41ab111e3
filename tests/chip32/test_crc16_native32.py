# The SMP framing's CRC16 on the chip's build runs in C (lccrypto.crc16_xmodem): it must equal the
# Python table loop (frame.crc16_py, what the WebAssembly build runs) on the standard check value,
# on every length up to a few blocks, when continued from a running value, and on a real framed
# update; the framing then decodes what CPython encoded.
import hashlib

from lightclient.chip.smp import frame
from tests.chip32.chip32 import run


def test_native_crc16_equals_the_python_loop():
    data = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(40))  # 1,280 bytes
    cases = [(b"123456789", 0), (b"", 0), (b"", 0x1234)] + [(data[:n], 0) for n in range(0, 300, 7)]
    cases += [(data, 0xFFFF), (data[5:], frame.crc16_py(data[:5]))]
    want = [frame.crc16_py(d, c) for d, c in cases]
    assert want[0] == 0x31C3  # CRC-16/XMODEM's check value
    lines = ["from lightclient.chip.smp import frame", "import lccrypto",
             "assert frame.crc16 is not frame.crc16_py and frame._crc16_native is not None"]
    for d, c in cases:
        lines.append("print(frame.crc16(%r, %d), frame.crc16(bytearray(%r), %d))" % (d, c, d, c))
    lines.append("try:\n    lccrypto.crc16_xmodem(b'x', 65536)\nexcept ValueError:\n"
                 "    print('range')")
    wire = frame.encode_packet(data)
    lines.append("print(len(frame.FrameDecoder(4096).feed(%r)[0]))" % wire)
    p = run("\n".join(lines))
    assert p.returncode == 0, p.stderr
    out = p.stdout.split("\n")
    got = [tuple(int(x) for x in line.split()) for line in out[:len(cases)]]
    assert got == [(w, w) for w in want]
    assert out[len(cases)] == "range"
    assert out[len(cases) + 1] == str(len(data))
