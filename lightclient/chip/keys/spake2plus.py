# SPAKE2+ (RFC 9383), generic over a prime-order group (or a cofactor group's prime subgroup).
# The prover (the owner tool) knows w0 and w1, derived from the setup code; the verifier (the chip)
# keeps only w0 and L = w1*P from provisioning, so a read of its flash does not give the code, and
# someone who sees the whole exchange learns nothing to test guesses against offline.
#
# A group is any object with: ORDER (p), COFACTOR (h), M, N (elements), base_mul(k),
# mul(k, A), add(A, B), neg(A), encode(A) -> bytes, decode(bytes) -> element (PairingError when
# the bytes are not a valid element), is_identity(A). group_ed25519.py (the chip: libsodium's ref10
# in lccrypto or pure Python) and lightclient/owner/group_p256.py (the Pi, for the RFC's vectors).
# Hash = SHA-256, KDF = HKDF-SHA256, MAC = HMAC-SHA256 (the suites the RFC's vectors use).
#
#   prover = Prover(group, context, id_prover, id_verifier, w0, w1)
#   share_p = prover.start(x)                          # -> verifier
#   verifier = Verifier(group, context, id_prover, id_verifier, w0, L)
#   share_v, confirm_v = verifier.respond(share_p, y)  # -> prover
#   confirm_p, k_shared = prover.finish(share_v, confirm_v)   # -> verifier
#   k_shared = verifier.finish(confirm_p)
# x and y are scalars in [0, p-1] that the caller draws (pure: randomness is an argument).
# Shared subset: CPython and MicroPython 1.27.

import hashlib

from lightclient.chip.crypto import backend
from lightclient.chip.crypto.hmac_sha256 import equal
from lightclient.chip.keys.errors import PairingError


def lp(data):
    """len(data) as 8 bytes little-endian, then data (the RFC's transcript encoding)."""
    return len(data).to_bytes(8, "little") + data


def scalar_bytes(group, k):
    return k.to_bytes(group.SCALAR_SIZE, "big")


class _Party:
    def __init__(self, group, context, id_prover, id_verifier, w0):
        self.g = group
        self.context, self.idp, self.idv = context, id_prover, id_verifier
        self.w0 = w0 % group.ORDER
        self.k_confirm_p = self.k_confirm_v = self.k_shared = None
        self.share_p = self.share_v = None

    def _peer_element(self, data, what):
        # RFC 9383 section 3.3: the received share must be a valid element, and h times it not
        # the identity (a small-order share would let the sender fix Z).
        g = self.g
        try:
            el = g.decode(data)
        except PairingError:
            raise PairingError("pake_share", "not a valid group element", share=what)
        if g.is_identity(g.mul(g.COFACTOR, el)):
            raise PairingError("pake_share", "a small-order share", share=what)
        return el

    def _schedule(self, Z, V):
        g = self.g
        if g.is_identity(Z) or g.is_identity(V):
            raise PairingError("pake_share", "Z or V is the identity")
        tt = (lp(self.context) + lp(self.idp) + lp(self.idv) + lp(g.encode(g.M))
              + lp(g.encode(g.N)) + lp(self.share_p) + lp(self.share_v) + lp(g.encode(Z))
              + lp(g.encode(V)) + lp(scalar_bytes(g, self.w0)))
        k_main = hashlib.sha256(tt).digest()
        kc = backend.hkdf_sha256(k_main, b"", b"ConfirmationKeys", 64)
        self.k_confirm_p, self.k_confirm_v = kc[:32], kc[32:]
        self.k_shared = backend.hkdf_sha256(k_main, b"", b"SharedKey", 32)
        self.k_main = k_main

    def confirm_p(self):
        return backend.hmac_sha256(self.k_confirm_p, self.share_v)

    def confirm_v(self):
        return backend.hmac_sha256(self.k_confirm_v, self.share_p)


class Prover(_Party):
    def __init__(self, group, context, id_prover, id_verifier, w0, w1):
        _Party.__init__(self, group, context, id_prover, id_verifier, w0)
        self.w1 = w1 % group.ORDER
        self.x = None

    def start(self, x):
        g = self.g
        self.x = x
        self.share_p = g.encode(g.add(g.base_mul(x), g.mul(self.w0, g.M)))
        return self.share_p

    def finish(self, share_v, confirm_v):
        """-> (confirm_p, k_shared); PairingError when the verifier's confirmation is wrong."""
        g = self.g
        Y = self._peer_element(share_v, "verifier")
        self.share_v = bytes(share_v)
        t = g.add(Y, g.neg(g.mul(self.w0, g.N)))
        h = g.COFACTOR
        # h*x, h*w1 unreduced: with a cofactor, the multiple of h clears any torsion part of Y
        self._schedule(g.mul(h * self.x, t), g.mul(h * self.w1, t))
        if not equal(self.confirm_v(), confirm_v):
            raise PairingError("pake_confirmation", "the verifier's confirmation does not match")
        return self.confirm_p(), self.k_shared


class Verifier(_Party):
    def __init__(self, group, context, id_prover, id_verifier, w0, L):
        _Party.__init__(self, group, context, id_prover, id_verifier, w0)
        self.L = group.decode(L)

    def respond(self, share_p, y):
        """-> (share_v, confirm_v)."""
        g = self.g
        X = self._peer_element(share_p, "prover")
        self.share_p = bytes(share_p)
        self.share_v = g.encode(g.add(g.base_mul(y), g.mul(self.w0, g.N)))
        h = g.COFACTOR
        t = g.add(X, g.neg(g.mul(self.w0, g.M)))
        self._schedule(g.mul(h * y, t), g.mul(h * y, self.L))
        return self.share_v, self.confirm_v()

    def finish(self, confirm_p):
        """-> k_shared; PairingError when the prover's confirmation is wrong (a wrong code)."""
        if self.k_confirm_p is None:
            raise PairingError("pake_state", "finish before respond")
        if not equal(self.confirm_p(), confirm_p):
            raise PairingError("pake_confirmation", "the prover's confirmation does not match")
        return self.k_shared


def verifier_record(group, w0, w1):
    """What provisioning leaves on the chip: (w0 as bytes, L encoded); w1 is forgotten."""
    return scalar_bytes(group, w0 % group.ORDER), group.encode(group.base_mul(w1 % group.ORDER))
