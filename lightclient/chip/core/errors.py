# Typed errors of the whole project. Every failure names the rule (`check`) that failed and the
# values involved (`details`), so a caller, a log line or a test can tell exactly what broke.
# Shared subset: runs unchanged on CPython and MicroPython.
#
# Three kinds say whose fault a failure is, and so what the caller does about it:
#   InvalidData  the data is wrong: a source lied or the bytes are corrupt -> ban / score down
#   Unavailable  no usable answer in time (timeout, refused, 5xx, malformed transport) -> back off,
#                never ban
#   LocalFault   our side failed (store, chip link, config) -> report it, never blame a source
# NotEnoughTrust is none of them: a verdict that says "bisect further".


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


class InvalidData(LightClientError):
    """The data is invalid: whoever served it lied or it is corrupt (the check names the rule)."""


class Unavailable(LightClientError):
    """A source gave no usable answer in time: retry later, elsewhere; never a proof of malice."""


class LocalFault(LightClientError):
    """Our own side failed (store, chip link, configuration): no source is to blame."""


class StoreError(LocalFault):
    """A store (the Pi's files or the chip's flash) cannot do what was asked, or what it holds
    does not verify: it is never trusted then."""


class DecodeError(InvalidData):
    """Malformed or out-of-bounds input (protobuf, CBOR, JSON shape, key encoding)."""


class SignatureError(InvalidData):
    """A signature or public key that does not verify or cannot be parsed."""


class VerificationError(InvalidData):
    """A light-client rule failed: the data is invalid (verdict INVALID)."""


class Tally:
    """One voting-power tally: `signed` power behind the commit, `needed` (it must be exceeded),
    `total` power of the set, and the fraction num/den the threshold stands for."""

    def __init__(self, signed, needed, total, num, den):
        self.signed = signed
        self.needed = needed
        self.total = total
        self.num = num
        self.den = den

    def passed(self):
        return self.signed > self.needed

    def to_details(self):
        return {"signed_power": self.signed, "needed": self.needed, "total": self.total,
                "trust_level": "%d/%d" % (self.num, self.den)}


class NotEnoughTrust(LightClientError):
    """The trusted validator set does not vouch for enough of the new commit (skip further).
    `tally` is the Tally that fell short."""

    def __init__(self, tally, message="trusted validators behind the commit do not reach the "
                 "trust level", **details):
        d = tally.to_details()
        d.update(details)
        super().__init__("not_enough_trust", message, **d)
        self.tally = tally


class ProofError(InvalidData):
    """An ICS23 / Merkle proof that does not prove what it claims."""
