# User-held keys on the chip's own build (32-bit, lccrypto, frozen native image, 96 KiB heap):
# the SPAKE2+ verifier on libsodium's ref10 gives exactly the pure-Python prover's values (so the
# owner tool on the Pi and the chip agree), the recorded envelope vectors open, and the group's
# C functions refuse bad points and scalars with their documented messages.
import json
import os
from pathlib import Path

import sys
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "chip" / "keys"))
from lightclient.chip.keys import group_ed25519 as ED  # noqa: E402
from lightclient.chip.keys import spake2plus as S  # noqa: E402
from tests.chip32.chip32 import run  # noqa: E402

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "chip" / "keys" / "vectors.json")
                     .read_text())

CHIP_SCRIPT = """
import lccrypto
from lightclient.chip.keys import group_ed25519 as ED, spake2plus as S, envelope as E, epochs
from lightclient.chip.keys.errors import PairingError
print("BACKEND", ED.BACKEND)
h = bytes.fromhex
v = S.Verifier(ED, b"ctx", h("%(idp)s"), h("%(idv)s"), %(w0)d, h("%(L)s"))
share_v, confirm_v = v.respond(h("%(share_p)s"), %(y)d)
print("SHARE_V", share_v.hex())
print("CONFIRM_V", confirm_v.hex())
print("K", v.finish(h("%(confirm_p)s")).hex())
try:
    v.finish(bytes(32))
except PairingError as e:
    print("WRONG", e.check)
try:
    v.respond(h("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), 5)
except PairingError as e:
    print("SMALL", e.check)
for args in ((bytes(32), h("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")),
             (b"\\xff" * 32, ED.M)):
    try:
        lccrypto.ed25519_point_mul(*args)
    except ValueError as e:
        print("ERR", e)
owner = ("secp256k1", h("%(owner_pub)s"))
secret = epochs.open_epoch(h("%(epoch_env)s"), "%(chain)s", "owner-1", 0, owner,
                           h("%(dev_sk)s"), h("%(dev_pub)s"))
got = E.open_(h("%(rec_env)s"), "%(chain)s", b"settings/dev-1", 7, [owner],
              epochs.epoch_identity(secret))
print("PLAIN", got.plaintext.decode())
"""


def test_chip_verifier_and_envelopes_match_the_pi():
    from keyhelpers import Owner
    w0, w1, x, y = 0x1111 << 230, 0x2222 << 231, int.from_bytes(os.urandom(64), "big") % ED.ORDER, \
        int.from_bytes(os.urandom(64), "big") % ED.ORDER
    w0b, L = S.verifier_record(ED, w0, w1)
    prover = S.Prover(ED, b"ctx", b"owner-key", b"device-key", w0, w1)
    ref = S.Verifier(ED, b"ctx", b"owner-key", b"device-key", w0, L)
    share_p = prover.start(x)
    share_v, confirm_v = ref.respond(share_p, y)
    confirm_p, k = prover.finish(share_v, confirm_v)
    owner = Owner("vector-owner")
    code = CHIP_SCRIPT % dict(
        idp=b"owner-key".hex(), idv=b"device-key".hex(), w0=w0, L=L.hex(), share_p=share_p.hex(),
        y=y, confirm_p=confirm_p.hex(), owner_pub=owner.pub.hex(), chain=VECTORS["chain_id"],
        epoch_env=VECTORS["epoch0_envelope"], dev_sk=VECTORS["device_x25519_secret"],
        dev_pub=VECTORS["device_x25519_public"], rec_env=VECTORS["record_envelope"])
    p = run(code)
    assert p.returncode == 0, p.stdout + p.stderr
    out = {}
    for line in p.stdout.splitlines():
        k_, _, val = line.partition(" ")
        out.setdefault(k_, []).append(val)
    assert out["BACKEND"] == ["lccrypto"]
    assert out["SHARE_V"] == [share_v.hex()] and out["CONFIRM_V"] == [confirm_v.hex()]
    assert out["K"] == [k.hex()]
    assert out["WRONG"] == ["pake_confirmation"] and out["SMALL"] == ["pake_share"]
    assert out["ERR"] == ["ed25519 group: not a canonical point",
                          "ed25519 group: scalar must be 32 bytes below 2^255"]
    assert out["PLAIN"] == [VECTORS["record_plaintext"]]
