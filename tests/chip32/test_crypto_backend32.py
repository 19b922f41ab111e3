# The chip package's crypto interface on the chip's build takes lccrypto, and it gives the pure
# path's verdicts: a valid signature verifies, a changed message does not (both curves). A
# mismatch of argument order between lightclient/chip/crypto/native.py and lccrypto's functions
# shows up here as a valid signature refused.
from lightclient.chip.crypto import ed25519, secp256k1
from tests.chip32.chip32 import run


def test_the_interface_runs_lccrypto_with_the_pure_verdicts():
    msg = bytes(range(110))
    seed = bytes(range(32))
    secret = bytes(range(1, 33))
    cases = [("ed25519", ed25519.public_key(seed), ed25519.sign(seed, msg)),
             ("secp256k1", secp256k1.public_key(secret), secp256k1.sign(secret, msg))]
    lines = ["from lightclient.chip.crypto import backend", "print(backend.backend_name())"]
    for kind, pub, sig in cases:
        for m in (msg, msg[:-1] + b"\x00"):
            lines.append("print(backend.verify(%r, %r, %r, %r))" % (kind, pub, m, sig))
    p = run("\n".join(lines))
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["lccrypto", "True", "False", "True", "False"]
