# Deterministic keys, randomness and signers for the envelope and pairing tests (CPython).
import hashlib

from lightclient.chip.crypto import backend, secp256k1


class Drbg:
    """random(n): SHA-256(seed || counter) blocks, so a test's envelopes are reproducible."""

    def __init__(self, seed):
        self.seed = seed if isinstance(seed, bytes) else seed.encode()
        self.counter = 0

    def __call__(self, n):
        out = b""
        while len(out) < n:
            out += hashlib.sha256(self.seed + self.counter.to_bytes(8, "big")).digest()
            self.counter += 1
        return out[:n]


def secret(label):
    return hashlib.sha256(b"test key " + label.encode()).digest()


class Owner:
    """An owner: a secp256k1 signing key and an X25519 key (what `owner init` makes)."""

    def __init__(self, label="owner"):
        self.sk = secret(label + "/secp256k1")
        self.pub = secp256k1.public_key(self.sk)
        self.writer = ("secp256k1", self.pub)
        self.x_sk = secret(label + "/x25519")
        self.x_pub = backend.x25519_public_key(self.x_sk)
        self.id = "owner-" + label

    def sign(self, msg):
        return secp256k1.sign(self.sk, msg)


class Device:
    """A device: its Ed25519 signing key and the X25519 key the chip makes beside it."""

    def __init__(self, label="device"):
        self.seed = secret(label + "/ed25519")
        self.pub = backend.ed25519_public_key(self.seed)
        self.writer = ("ed25519", self.pub)
        self.x_sk = secret(label + "/x25519")
        self.x_pub = backend.x25519_public_key(self.x_sk)

    def sign(self, msg):
        return backend.ed25519_sign(self.seed, msg)
