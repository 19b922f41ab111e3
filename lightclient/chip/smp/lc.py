# The project's SMP group: the light-client commands between the Pi and the microcontroller.
# Command ids, error codes and their names are shared by the firmware and the Pi's client, so they
# are written once, here. Payload maps: docs/smp-link.md.
# Shared subset: CPython and MicroPython.

from lightclient.chip.core import errors

# Clear of every group id the SMP ecosystem is known to use (docs/smp-link.md, "Group id"):
# Zephyr's 0-11 and 63, and the low user range where vendors start counting (64 Intercreate in
# smp/smpclient/smpmgr, 65 and 66 Nordic). 0x4C43 is "LC".
GROUP = 0x4C43
LEGACY_GROUP = 64  # what boards provisioned before this change answer on (docs/smp-link.md)

STATUS = 0          # read
GENERATE_KEY = 1    # write
PUBLIC_KEY = 2      # read
SIGN = 3            # write
SET_CHECKPOINT = 4  # write
SUBMIT_UPDATE = 5   # write
SETTINGS = 6        # read
STORE_CHECK = 7     # read
GENERATE_ACCOUNT_KEY = 8  # write: the secp256k1 key of the device's chain account
ACCOUNT_KEY = 9     # read
SIGN_TX = 10        # write: a SIGN_MODE_DIRECT SignDoc, from its fields
SIGN_REGISTRATION = 11  # write: x/devices' registration statement for an owner, account key
SET_TX_POLICY = 12     # write: the owner's signing limits (lightclient/chip/sign_policy.py)
SIGN_USAGE = 20        # write: a skill-usage token request (lightclient/chip/usage_request.py)

# Group error codes ({"err": {"group": GROUP, "rc": n}} in SMP v2; {"rc": 256 + n} in v1).
OK = 0
E_UNKNOWN = 1
E_DECODE = 2           # malformed request or update bytes (DecodeError)
E_VERIFY = 3           # a light-client rule failed (VerificationError)
E_NOT_ENOUGH_TRUST = 4
E_SIGNATURE = 5        # a signature or key that does not verify (SignatureError)
E_PROOF = 6            # a state proof that does not prove its claim (ProofError)
E_NO_KEY = 7           # no device key yet
E_NOT_PROVISIONED = 8  # no checkpoint yet
E_ALREADY = 9          # key or checkpoint exists and the request did not say force
E_TIME_FLOOR = 10      # the Pi's time is earlier than the last verified header time
E_STORE = 11           # the secure store failed (I/O, corrupt, rollback)
E_REFUSED = 12         # the chip refuses to sign this message
E_TOO_LARGE = 13       # a bounded field is too long
E_NO_RECORD = 14       # nothing cached for this device

ERROR_NAMES = {
    OK: "ok", E_UNKNOWN: "unknown", E_DECODE: "decode", E_VERIFY: "verify",
    E_NOT_ENOUGH_TRUST: "not_enough_trust", E_SIGNATURE: "signature", E_PROOF: "proof",
    E_NO_KEY: "no_key", E_NOT_PROVISIONED: "not_provisioned", E_ALREADY: "already_provisioned",
    E_TIME_FLOOR: "time_floor", E_STORE: "store", E_REFUSED: "refused",
    E_TOO_LARGE: "too_large", E_NO_RECORD: "no_record",
}

V1_OFFSET = 256  # MGMT_ERR_EPERUSER: SMP v1 carries group errors as 256 + n

# Sign request kinds: every kind signs SIGN_DOMAIN + kind + b"\x00" + message with the device's
# Ed25519 key (domain separated). The device's transactions are signed by its secp256k1 account
# key over SIGN_TX, never here (the scenario network's JSON transactions, signed as "tx", are
# gone).
SIGN_DOMAIN = b"mycroft-lc/sign/v1\x00"
SIGN_KINDS = ("request", "voucher", "ballot", "message")
MAX_SIGN_BYTES = 8192
MAX_UUID = 64


class LinkError(errors.LightClientError):
    """The microcontroller refused a command; `rc` is the group error code (E_*)."""


def error_code(exc):
    """A core error -> this group's error code."""
    if isinstance(exc, errors.NotEnoughTrust):
        return E_NOT_ENOUGH_TRUST
    if isinstance(exc, errors.SignatureError):
        return E_SIGNATURE
    if isinstance(exc, errors.ProofError):
        return E_PROOF
    if isinstance(exc, errors.VerificationError):
        return E_VERIFY
    if isinstance(exc, errors.DecodeError):
        return E_DECODE
    rc = getattr(exc, "rc", None)
    if isinstance(rc, int) and not isinstance(rc, bool):
        return rc
    return E_UNKNOWN


REPROVISION_DOMAIN = b"mycroft-lc/reprovision/v1\x00"
REPROVISION_OPS = ("generate_key", "set_checkpoint", "generate_account_key")


def reprovision_message(op, chip_pub, generation, payload_hash):
    """What the device's owner signs to let a chip that holds a verified device record be
    re-provisioned (a new key, or a new trust anchor): without it a compromised Pi could wipe
    the device's identity or re-point it at another chain. Bound to the operation, this chip's
    key, the store generation (so a signature works once) and SHA-256 of the payload (the new
    trusted state; empty for generate_key)."""
    return (REPROVISION_DOMAIN + op.encode() + b"\x00" + bytes(chip_pub)
            + generation.to_bytes(8, "big") + bytes(payload_hash))


def sign_message(kind, message):
    """What the chip actually signs for a request of `kind`."""
    return SIGN_DOMAIN + kind.encode() + b"\x00" + bytes(message)
