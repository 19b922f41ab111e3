# ICS23 existence proofs in C (lccrypto.ics23_exist_root behind core/ics23_native) must give the
# Python verifier's verdict (ics23_types.decode_commitment_proof + ics23.existence_root, what the
# WebAssembly build and CPython run): the same root for every proof Python accepts, the same check
# for every proof Python refuses, or "unhandled" (left to Python: non-existence, batch, a value
# carried twice). The proofs: cosmos/ics23's IAVL and simple-tree vectors and a real x/devices
# record's two ops, then each of them with every byte flipped, cut at every length, and rebuilt
# with each spec rule broken.
import binascii

from bench.fuzz_c import ics23_exist_proofs
from lightclient.chip.core import ics23, proto
from lightclient.chip.core.errors import DecodeError, ProofError
from lightclient.chip.core.ics23_native import CHECKS
from lightclient.chip.core.ics23_types import (ExistenceProof, InnerOp, NO_HASH,
                                               SPECS_BY_OP_TYPE, decode_commitment_proof,
                                               encode_commitment_proof, encode_existence_proof)
from tests.chip32.chip32 import run

CHIP = r"""
import binascii
from lightclient.chip.core import ics23_native
assert ics23_native.ics23_exist_root is not None
TYPES = ("ics23:iavl", "ics23:simple")
f, out = open(CASES, "rb"), open(OUT, "w")
res = []
while True:
    head = f.read(9)
    if not head:
        break
    n_key, n_value, n_data = int.from_bytes(head[1:3], "big"), int.from_bytes(head[3:5], "big"), \
        int.from_bytes(head[5:9], "big")
    key = f.read(n_key)
    value = None if n_value == 0xFFFF else f.read(n_value)
    r = ics23_native.exist_root(f.read(n_data), TYPES[head[0]], key, value)
    if isinstance(r, str):
        res.append(r)
    else:
        res.append(binascii.hexlify(r[1]).decode() + " " + binascii.hexlify(r[0]).decode())
    if len(res) == 256:
        out.write("\n".join(res) + "\n")
        res = []
if res:
    out.write("\n".join(res) + "\n")
out.close()
print("DONE")
"""


def _oracle(typ, key, value, data):
    try:
        p = decode_commitment_proof(data)
        if not isinstance(p, ExistenceProof):
            return "nonexist"
        v = p.value if value is None else value
        return ics23.existence_root(p, SPECS_BY_OP_TYPE[typ], key, v).hex() + " " + p.value.hex()
    except (ProofError, DecodeError) as e:
        return e.check


def _rebuilt(proof, change):
    p = decode_commitment_proof(proof)
    change(p)
    return encode_commitment_proof(p)


def _set(obj, attr, v):
    setattr(obj, attr, v)


def _structural(proof):
    """The proof rebuilt with one rule broken each time (ics23.py's checks, ics23_types' bounds)."""
    p0 = decode_commitment_proof(proof)
    out = []
    for attr in ("hash", "prehash_key", "prehash_value", "length"):
        out.append(_rebuilt(proof, lambda p, a=attr: _set(p.leaf, a, getattr(p.leaf, a) ^ 1)))
        out.append(_rebuilt(proof, lambda p, a=attr: _set(p.leaf, a, -1)))
    for prefix in (b"", b"\x01", p0.leaf.prefix + b"\x00", p0.leaf.prefix[:-1], b"\x00\x01",
                   b"\x00\x02\x02", b"\x01\x02\x02", b"\x00\xff", b"\x00\x00\x00"):
        out.append(_rebuilt(proof, lambda p, x=prefix: _set(p.leaf, "prefix", x)))
    out.append(_rebuilt(proof, lambda p: _set(p, "leaf", None)))
    out.append(_rebuilt(proof, lambda p: _set(p, "key", b"")))
    out.append(_rebuilt(proof, lambda p: _set(p, "value", b"")))
    out.append(_rebuilt(proof, lambda p: _set(p, "key", b"k" * 4097)))
    for j in range(len(p0.path)):
        step = p0.path[j]
        for prefix in (b"", b"\x00" + step.prefix, step.prefix[:3], step.prefix + bytes(40),
                       step.prefix[:-1], b"\x01\x02\x02", b"\x04\x02\x02\x00",
                       b"\x03\x02\x02" + bytes(34), b"\x01" + step.prefix[1:]):
            out.append(_rebuilt(proof, lambda p, j=j, x=prefix: _set(p.path[j], "prefix", x)))
        for suffix in (b"\x01", step.suffix + b"\x02", bytes(32), bytes(33)):
            out.append(_rebuilt(proof, lambda p, j=j, x=suffix: _set(p.path[j], "suffix", x)))
        out.append(_rebuilt(proof, lambda p, j=j: _set(p.path[j], "hash", NO_HASH)))
        out.append(_rebuilt(proof, lambda p, j=j: p.path.pop(j)))
    for n in (129, 257):
        out.append(_rebuilt(proof, lambda p, n=n: _set(p, "path", (p.path * n)[:n] or
                                                        [InnerOp(1, b"\x01", b"")] * n)))
    body = encode_existence_proof(p0)
    field = proto.message_field
    out += [b"", field(2, body), field(3, body), field(1, body) + field(2, b"\x0a\x00"),
            field(1, body) + field(1, body),                       # exist twice: last one wins
            field(1, body + proto.bytes_field(2, b"other value")),  # the value carried twice
            field(1, body + proto.varint_field(1, 7)),             # the key of the wrong type
            field(1, body + b"\x18\x05"), field(1, body + b"\x22\x01\x08"),
            field(1, body + b"\x2a\x03\x08\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02"),
            field(1, body) + proto.varint_field(9, 1) * 16,        # 17 fields
            field(1, body) + b"\x0b", field(1, body) + b"\x00\x01", field(1, body) + b"\x4d\x01",
            field(1, body + b"\x1a\x02\x08\x80"),
            field(1, body + field(3, b"\x08" + proto.uvarint(1 << 40))),     # int32 range
            field(1, body + field(3, b"\x08" + b"\xff" * 9 + b"\x02"))]   # 65 bits
    return out


def _cases():
    cases = []
    proofs = ics23_exist_proofs()
    other = proofs[0][1]
    for typ, key, value, proof in proofs:
        cases += [(typ, key, value, proof), (typ, key, None, proof),
                  (typ, other + b"x", value, proof), (typ, key, value + b"x", proof)]
        for i in range(len(proof)):
            for x in (0x01, 0x80)[:2 - i % 2]:
                cases.append((typ, key, value, proof[:i] + bytes([proof[i] ^ x]) + proof[i + 1:]))
            cases.append((typ, key, None, proof[:i]))
        cases += [(typ, key, value, p) for p in _structural(proof)]
        cases += [(typ, key, None, p) for p in _structural(proof)]
    typ, key, value, proof = proofs[0]
    empty_key = _rebuilt(proof, lambda p: _set(p, "key", b""))
    long_value = proto.message_field(1, encode_existence_proof(decode_commitment_proof(proof))
                                     + proto.bytes_field(2, bytes(65537)))
    return cases + [(typ, b"", None, empty_key), (typ, key, None, bytes(128 * 1024 + 1)),
                    (typ, key, None, long_value)]


def test_c_gives_the_python_verdict_on_every_proof(tmp_path):
    cases = _cases()
    path, out = tmp_path / "cases", tmp_path / "out"
    with open(path, "wb") as f:
        for typ, key, value, data in cases:
            # [type][key length][value length, 0xFFFF: None][data length] key value data
            f.write(bytes([typ == "ics23:simple"]) + len(key).to_bytes(2, "big")
                    + (0xFFFF if value is None else len(value)).to_bytes(2, "big")
                    + len(data).to_bytes(4, "big") + key + (value or b"") + data)
    p = run("CASES = %r\nOUT = %r\n" % (str(path), str(out)) + CHIP, heap="1024K")
    assert p.stdout.strip() == "DONE", p.stdout + p.stderr
    got = out.read_text().splitlines()
    assert len(got) == len(cases)
    seen, unhandled = set(), 0
    for (typ, key, value, data), c in zip(cases, got):
        want = _oracle(typ, key, value, data)
        if c == "unhandled":
            unhandled += 1
            continue
        assert c == want, (typ, key.hex(), value, data.hex(), c, want)
        seen.add(c if c in CHECKS else "accepted")
    for typ, key, value, proof in ics23_exist_proofs():   # every good proof is C's to verify
        assert got[cases.index((typ, key, value, proof))] != "unhandled"
    assert unhandled < len(cases) // 20, unhandled
    assert set(CHECKS) - seen == {"ok", "unhandled"}, sorted(set(CHECKS) - seen)
