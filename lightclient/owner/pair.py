# The owner's side of pairing (docs/pairing.md): SPAKE2+ as the prover with the code from the
# board's label, then the pairing statement signed by the owner and checked against the chip's
# signature. Transport-free: it makes and reads the payload maps of the keys SMP group, so the
# CLI (over the Pi's link), the tests (over the firmware core) and a relay in between all carry
# the same bytes, and none of them learns anything to test codes against.
#
#   p = OwnerPairing(code, owner_key, chain_id, device_pub, random)
#   req1 = p.start()                 -> PAIR_START payload
#   req2 = p.respond(answer1)        -> PAIR_FINISH payload (PairingError on a wrong code / relay)
#   result = p.finish(answer2)       -> PairingResult (statement, both signatures)

import hashlib

from lightclient.chip.crypto import backend, secp256k1
from lightclient.chip.keys import group_ed25519, pairing, spake2plus
from lightclient.chip.keys.errors import PairingError


class PairingResult:
    def __init__(self, statement, owner_sig, device_sig, device_pub, device_x25519):
        self.statement = statement
        self.owner_sig = owner_sig
        self.device_sig = device_sig
        self.device_pub = device_pub
        self.device_x25519 = device_x25519


class OwnerPairing:
    def __init__(self, code, owner_key, chain_id, device_pub, random):
        """owner_key: lightclient.owner.keyfile.OwnerKey (secp256k1 secret, X25519 key)."""
        self.owner = owner_key
        self.chain_id = chain_id
        self.device_pub = bytes(device_pub)
        self.random = random
        w0, w1 = pairing.derive_w0_w1(code, device_pub)
        self.prover = spake2plus.Prover(group_ed25519, pairing.context(chain_id),
                                        owner_key.secp256k1_public, self.device_pub, w0, w1)
        self.statement = None

    def start(self):
        x = int.from_bytes(self.random(64), "big") % group_ed25519.ORDER
        return {"share": self.prover.start(x), "owner": self.owner.secp256k1_public}

    def respond(self, answer):
        if bytes(answer.get("pub", b"")) != self.device_pub:
            raise PairingError("device_key", "the chip answered with another device key")
        x_pub = bytes(answer.get("x25519", b""))
        if len(x_pub) != 32:
            raise PairingError("device_x25519", "the chip's X25519 key is 32 bytes")
        confirm_p, _ = self.prover.finish(answer["share"], answer["confirm"])
        v = self.prover
        th = pairing.transcript_hash(v.context, v.idp, v.idv, v.share_p, v.share_v, confirm_p,
                                     v.confirm_v())
        self.device_x25519 = x_pub
        self.statement = pairing.statement(self.chain_id, self.owner.secp256k1_public,
                                           self.device_pub, x_pub, th)
        self.owner_sig = secp256k1.sign(self.owner.secp256k1_secret,
                                        pairing.signing_bytes(self.statement))
        return {"confirm": confirm_p, "sig": self.owner_sig,
                "owner_x25519": self.owner.x25519_public}

    def finish(self, answer):
        if bytes(answer.get("statement", b"")) != self.statement:
            raise PairingError("statement", "the chip signed another statement")
        sig = bytes(answer.get("sig", b""))
        if not backend.ed25519_verify(self.device_pub, pairing.signing_bytes(self.statement), sig):
            raise PairingError("device_statement_signature",
                               "the device's signature over the statement does not verify")
        return PairingResult(self.statement, self.owner_sig, sig, self.device_pub,
                             self.device_x25519)


def statement_digest(statement):
    return hashlib.sha256(pairing.signing_bytes(statement)).digest()


def pair_over_link(mcu, code, owner_key, chain_id, random, open_window=True,
                   relay=lambda step, payload: payload):
    """The whole exchange with the chip behind `mcu` (lightclient.mcu.McuClient) ->
    PairingResult. open_window: the board's button, which a development board takes over the
    link; relay(step, payload) carries each of the four messages (a test's tampering relay)."""
    from lightclient.chip.smp import header as H
    from lightclient.chip.smp import keys as K
    info = mcu.keys(H.OP_READ, K.KEY_INFO)
    if open_window:
        mcu.keys(H.OP_WRITE, K.OPEN_WINDOW)
    p = OwnerPairing(code, owner_key, chain_id, info["pub"], random)
    a1 = relay(1, mcu.keys(H.OP_WRITE, K.PAIR_START, relay(0, p.start())))
    a2 = relay(3, mcu.keys(H.OP_WRITE, K.PAIR_FINISH, relay(2, p.respond(a1))))
    return p.finish(a2)
