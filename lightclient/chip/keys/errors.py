# The typed errors of sealed envelopes and pairing. Each names the failed rule in `check`
# (envelope_chain, envelope_signature, pake_confirmation, ...), so a test, a log line or the
# firmware's answer says exactly what a node, relay or attacker got wrong.
# Shared subset: CPython and MicroPython 1.27.

from lightclient.chip.core.errors import InvalidData


class EnvelopeError(InvalidData):
    """A sealed envelope that must not be opened: wrong record, chain or version, an unknown
    writer or a bad signature, no wrap for us, or a ciphertext that does not authenticate."""


class PairingError(InvalidData):
    """A SPAKE2+ message or pairing statement that fails a check (point, confirmation, signature)."""
