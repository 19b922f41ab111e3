# Typed errors of the verification core. Every failure names the rule (`check`) that failed and
# the values involved (`details`), so a caller, a log line or a test can tell exactly what broke.
# Shared subset: runs unchanged on CPython and MicroPython.


class LightClientError(Exception):
    """Base class. `check` is a short stable name of the failed rule, e.g. "header_hash"."""

    def __init__(self, check, message="", **details):
        super().__init__(check, message)
        self.check = check
        self.message = message
        self.details = details

    def __str__(self):
        parts = [self.check]
        if self.message:
            parts.append(": " + self.message)
        if self.details:
            items = sorted(self.details.items())
            parts.append(" (" + ", ".join(k + "=" + _short(v) for k, v in items) + ")")
        return "".join(parts)

    def to_dict(self):
        d = {"type": type(self).__name__, "check": self.check, "message": self.message}
        for k, v in self.details.items():
            d[k] = v.hex() if isinstance(v, (bytes, bytearray)) else v
        return d


def _short(v):
    if isinstance(v, (bytes, bytearray)):
        h = bytes(v).hex()
        return h if len(h) <= 24 else h[:24] + "..."
    return str(v)


class DecodeError(LightClientError):
    """Malformed or out-of-bounds input (protobuf, CBOR, JSON shape, key encoding)."""


class SignatureError(LightClientError):
    """A signature or public key that does not verify or cannot be parsed."""


class VerificationError(LightClientError):
    """A light-client rule failed: the data is invalid (verdict INVALID)."""


class NotEnoughTrust(LightClientError):
    """The trusted validator set does not vouch for enough of the new commit (skip further)."""


class ProofError(LightClientError):
    """An ICS23 / Merkle proof that does not prove what it claims."""
