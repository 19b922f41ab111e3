# The sign policy on the chip's own interpreter (32-bit MicroPython 1.27, frozen firmware, the
# 96 KiB budget heap): the owner's limits decoded, the owner's vote through authz summarised, and
# an unlisted message refused with its check, a device write signed only around an envelope
# sealed with the device's key, the same verdicts as on CPython.
import hashlib

from lightclient import gov, txpolicy
from lightclient.chip import cosmos_tx as ct
from lightclient.chip import sign_policy
from lightclient.chip.crypto import ed25519, secp256k1
from lightclient.chip.keys import envelope, epochs
from tests.chip32.chip32 import run

PUB = secp256k1.public_key(hashlib.sha256(b"chip32 sign policy").digest())
ME = ct.bech32_address(PUB)
OWNER = ct.bech32_address(secp256k1.public_key(b"\x31" * 32))
CHAIN = "mycroft-local-1"
DEVSEED = hashlib.sha256(b"chip32 device key").digest()
DEVPUB = ed25519.public_key(DEVSEED)

SCRIPT = r"""
import binascii
from lightclient.chip import cosmos_tx as ct
from lightclient.chip import sign_policy as sp
pol = sp.decode_policy(binascii.unhexlify(POLICY))
for doc in DOCS:
    d = ct.decode_sign_doc(binascii.unhexlify(doc))
    try:
        print("OK", sp.check(d, ME, binascii.unhexlify(PUB), pol, CHAIN, 10,
                             device_pub=binascii.unhexlify(DEVPUB)))
    except sp.SignRefused as e:
        print("REFUSED", e.check)
"""


def _sealed(seed):
    """A metrics write as SEAL_OWN makes it, signed with `seed` (the device's, or another)."""
    key = epochs.device_write_key(OWNER, DEVPUB, "metrics")
    return envelope.seal(CHAIN, key, 1, 0, b"{}", [bytes(range(32))], ("ed25519", DEVPUB),
                         lambda m: ed25519.sign(seed, m), lambda n: hashlib.sha256(b"r").digest()[:n])


def _doc(msgs):
    body = ct.tx_body(msgs)
    return ct.sign_doc(body, ct.auth_info(PUB, 4, 200000, [("stake", 10)]), CHAIN, 12).hex()


def test_the_policy_decides_the_same_on_the_chip():
    pol = txpolicy.policy_cbor(1, CHAIN, PUB, owner=OWNER, account_number=12, denom="stake",
                               max_fee=100)
    docs = [_doc(gov.vote_messages(7, "yes", ME, OWNER)),
            _doc([gov.msg_grant_vote(ME, OWNER)]),
            _doc([gov.msg_exec(ME, [gov.msg_vote(7, ME, "yes")])]),
            _doc([ct.msg_device_write(ME, "metrics", _sealed(DEVSEED))]),
            _doc([ct.msg_device_write(ME, "metrics", b'{"plain":"text"}')]),
            _doc([ct.msg_device_write(ME, "metrics", _sealed(b"\x02" * 32))])]
    want = []
    for doc in docs:
        try:
            want.append("OK " + sign_policy.check(ct.decode_sign_doc(bytes.fromhex(doc)), ME,
                                                  PUB, sign_policy.decode_policy(pol), CHAIN, 10,
                                                  device_pub=DEVPUB))
        except sign_policy.SignRefused as e:
            want.append("REFUSED " + e.check)
    assert want == ["OK vote YES on proposal 7 for " + OWNER, "REFUSED sign_tx_type",
                    "REFUSED sign_vote_voter", "OK write metrics", "REFUSED sign_write_plaintext",
                    "REFUSED sign_write_signature"]
    p = run("POLICY=%r\nDOCS=%r\nME=%r\nPUB=%r\nCHAIN=%r\nDEVPUB=%r\n" % (
        pol.hex(), docs, ME, PUB.hex(), CHAIN, DEVPUB.hex()) + SCRIPT)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip().split("\n") == want
