# The payments SMP group (pay.GROUP): the Pi asks the chip for vouchers; the chip signs within
# its owner's caps or refuses with a typed error. Ids and codes: lightclient/chip/smp/pay.py;
# payloads: docs/vouchers.md, "SMP group".

from lightclient.chip.core.errors import StoreError
from lightclient.chip.crypto import backend as crypto
from lightclient.chip.pay import caps as C
from lightclient.chip.pay.ledger import PayRefused
from lightclient.chip.pay import receipt as R
from lightclient.chip.pay import voucher as V
from lightclient.chip.smp import header as H
from lightclient.chip.smp import lc
from lightclient.chip.smp import pay as P

from lightclient.chip.app import common as F


def _payments(fw):
    p = fw.pay()
    if p is None:
        raise F.bad_request("this firmware has no payments")
    return p


def _run(fn, *args):
    """The group's error code on every refusal (the rule's, or E_STORE for the flash)."""
    try:
        return fn(*args)
    except PayRefused as e:
        if getattr(e, "rc", None) is None:
            e.rc = P.CHECK_CODES.get(e.check, P.E_REFUSED)
        raise
    except StoreError as e:
        e.rc = P.E_STORE
        raise
    except lc.LinkError as e:  # the device's store errors (store_read, store_write, ...)
        e.rc = P.E_STORE if e.check.startswith("store") else P.E_UNKNOWN
        raise


def status(fw, p, now_ms):
    return _run(_payments(fw).status)


def spender_key(fw, p, now_ms):
    return {"pub": _run(_payments(fw).spender_key, True)}


def set_caps(fw, p, now_ms):
    caps = F.field(p, "caps", "bytes", required=True, max_len=C.MAX_BYTES)
    sig = F.field(p, "sig", "bytes", required=True, max_len=64)
    # on the chain: the key of the owner account this chip consented to (device.owner_key_for)
    owner_pub = F.field(p, "owner_pub", "bytes", max_len=33)
    c = _run(_payments(fw).set_caps, caps, sig, owner_pub)
    return {"version": c.version}


def sign_voucher(fw, p, now_ms):
    v = V.Voucher(F.field(p, "chain_id", "str", required=True, max_len=V.MAX_CHAIN_ID),
                  F.field(p, "channel", "bytes", required=True, max_len=V.MAX_CHANNEL),
                  F.field(p, "lane", "uint", required=True),
                  F.field(p, "nonce", "uint", required=True),
                  F.field(p, "amount", "uint", required=True),
                  F.field(p, "denom", "str", required=True, max_len=V.MAX_DENOM))
    return _run(_payments(fw).sign_voucher, v)


def sign_receipt(fw, p, now_ms):
    """A service receipt (docs/rewards.md) for the header this chip verified last: the chain
    id, height and hash come from its own trusted state, never from the request, so it cannot
    be asked to vouch for a block it did not verify. The Pi names only the server."""
    server = F.field(p, "server", "bytes", required=True, max_len=R.ADDRESS_LEN)
    return _run(_sign_receipt, fw.device, bytes(server))


def _sign_receipt(d, server):
    t = d.trusted
    if t is None:
        raise PayRefused("not_provisioned", "no verified header yet")
    client = d._chain_record_key()
    if client is None:
        raise PayRefused("no_account_key", "no account key yet")
    client = client[1:]
    if server == client:
        raise PayRefused("receipt_self", "a device does not sign receipts for itself")
    h = t.header
    signed = R.sign_bytes(h.chain_id, server, client, h.height, h.hash())
    sig = crypto.secp256k1_sign(d._account_secret(), signed)
    return {"receipt": signed, "sig": sig, "height": h.height,
            "summary": "receipt for block %d" % h.height}


COMMANDS = {
    P.STATUS: (H.OP_READ, status),
    P.SPENDER_KEY: (H.OP_WRITE, spender_key),
    P.SET_CAPS: (H.OP_WRITE, set_caps),
    P.SIGN_VOUCHER: (H.OP_WRITE, sign_voucher),
    P.SIGN_RECEIPT: (H.OP_WRITE, sign_receipt),
}
