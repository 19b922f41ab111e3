"""The owner's limits on what the chip's account key signs (lightclient/chip/sign_policy.py): built
and signed here by the owner, stored on the chip by McuClient.set_tx_policy. Spec:
docs/sign-policy.md."""

from lightclient.chip.core import cbor
from lightclient.chip import sign_policy


def policy_cbor(version, chain_id, device_pub33, owner="", account_number=None, denom="",
                max_fee=None, max_send=0, recipients=(), max_memo=None):
    """Deterministic CBOR of the limits; optional entries are left out when not given."""
    m = {"v": int(version), "chain": chain_id, "dev": bytes(device_pub33)}
    if account_number is not None:
        m["acct"] = int(account_number)
    if owner:
        m["owner"] = owner
    if denom:
        m["denom"] = denom
    if max_fee is not None:
        m["fee"] = int(max_fee)
    if max_send:
        m["send"] = int(max_send)
    if recipients:
        m["to"] = list(recipients)
    if max_memo is not None:
        m["memo"] = int(max_memo)
    out = cbor.dumps(m)
    sign_policy.decode_policy(out)   # what the chip would refuse is refused here first
    return out


def signing_bytes(encoded):
    """What the owner signs (sha256 of it, for a secp256k1 key: the SDK's rule)."""
    return sign_policy.policy_bytes(encoded)
