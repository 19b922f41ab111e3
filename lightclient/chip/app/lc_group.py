# The project's SMP group (lc.GROUP, 0x4C43): light-client commands. Ids and error codes:
# lightclient/chip/smp/lc.py; payloads: docs/smp-link.md.

from lightclient.chip.smp import header as H
from lightclient.chip.smp import lc

from lightclient.chip.app import common as F

MAX_STATE = 16000  # a checkpoint (trusted state) must fit one SMP message


def status(fw, p, now_ms):
    out = fw.device.status()
    out["fw"] = F.FIRMWARE_VERSION
    out["board"] = fw.info.get("board", "")
    out["chip_id"] = fw.info.get("chip_id")
    out["firmware_hash"] = fw.info.get("firmware_hash")
    # read from the chip's eFuses by the shell (efuse_state); an emulated board is a dev board
    out["key_protection"] = fw.info.get("key_protection") or "unknown"
    if "release_key_source" in fw.info:   # a real board: frozen, or board.json on a dev board
        out["release_key_source"] = fw.info["release_key_source"]
    out["link"] = dict(fw.decoder.stats)
    if fw.decoder.last_error is not None:
        out["link"]["last_error"] = fw.decoder.last_error.check
    out["handled"] = fw.handled
    return out


def _force_and_owner_sig(p):
    return (F.field(p, "force", "bool", default=False),
            F.field(p, "owner_sig", "bytes", max_len=64))


def generate_key(fw, p, now_ms):
    return {"pub": fw.device.generate_key(*_force_and_owner_sig(p))}


def public_key(fw, p, now_ms):
    return {"pub": fw.device.public_key()}


def sign(fw, p, now_ms):
    msg = F.field(p, "msg", "bytes", required=True, max_len=lc.MAX_SIGN_BYTES)
    kind = F.field(p, "kind", "str", default="message", max_len=16)
    return {"sig": fw.device.sign(kind, msg)}


def sign_usage(fw, p, now_ms):
    from lightclient.chip import usage_request
    req = F.field(p, "req", "bytes", required=True, max_len=len(usage_request.PREFIX) + 1 +
                  usage_request.MAX_CHAIN_ID + 61 + 32 * usage_request.MAX_TOKENS)
    return {"sig": fw.device.sign_usage_request(req)}


def generate_account_key(fw, p, now_ms):
    return {"pub": fw.device.generate_account_key(*_force_and_owner_sig(p))}


def account_key(fw, p, now_ms):
    return {"pub": fw.device.account_key()}


def sign_tx(fw, p, now_ms):
    body = F.field(p, "body", "bytes", required=True, max_len=lc.MAX_SIGN_BYTES)
    auth = F.field(p, "auth_info", "bytes", required=True, max_len=lc.MAX_SIGN_BYTES)
    chain_id = F.field(p, "chain_id", "str", required=True, max_len=50)
    number = F.field(p, "account_number", "uint", default=0)
    sig, d, text = fw.device.sign_tx(body, auth, chain_id, number)
    # what was signed, as the chip read it: the Pi checks it against what it meant, and shows
    # or speaks the summary
    return {"sig": sig, "chain_id": d["chain_id"], "account_number": d["account_number"],
            "sequence": d["sequence"], "types": [u for u, _v in d["messages"]],
            "summary": text}


def set_tx_policy(fw, p, now_ms):
    pol = F.field(p, "policy", "bytes", required=True, max_len=1024)
    sig = F.field(p, "sig", "bytes", required=True, max_len=64)
    owner_pub = F.field(p, "owner_pub", "bytes", max_len=33)
    return {"version": fw.device.set_tx_policy(pol, sig, owner_pub).version}


def sign_registration(fw, p, now_ms):
    chain_id = F.field(p, "chain_id", "str", required=True, max_len=50)
    owner = F.field(p, "owner", "bytes", required=True, max_len=20)
    return {"sig": fw.device.sign_registration(chain_id, owner)}


def set_checkpoint(fw, p, now_ms):
    state = F.field(p, "state", "bytes", required=True, max_len=MAX_STATE)
    tp = F.field(p, "trusting_period_ns", "uint")
    uuid = F.field(p, "uuid", "str", max_len=lc.MAX_UUID)
    force = F.field(p, "force", "bool", default=False)
    expected = F.field(p, "hash", "bytes", max_len=32)
    owner_sig = F.field(p, "owner_sig", "bytes", max_len=64)
    st = fw.device.set_checkpoint(state, tp, uuid, force, expected, owner_sig)
    return {"height": st.header.height, "time_ns": st.header.time_ns,
            "chain_id": st.header.chain_id}


def submit_update(fw, p, now_ms):
    data = F.field(p, "update", "bytes", required=True, max_len=F.MAX_MESSAGE, view=True)
    now_ns = F.field(p, "now_ns", "uint", required=True)
    st, n_proven, cached = fw.device.submit_update(data, now_ns)
    h = st.header
    return {"height": h.height, "time_ns": h.time_ns, "app_hash": h.app_hash,
            "proven": n_proven, "record_cached": cached,
            "generation": getattr(fw.device.store, "generation", None)}


def settings(fw, p, now_ms):
    return fw.device.settings(F.field(p, "now_ns", "uint"))


def store_check(fw, p, now_ms):
    return fw.device.store_check()


COMMANDS = {
    lc.STATUS: (H.OP_READ, status),
    lc.GENERATE_KEY: (H.OP_WRITE, generate_key),
    lc.PUBLIC_KEY: (H.OP_READ, public_key),
    lc.SIGN: (H.OP_WRITE, sign),
    lc.SET_CHECKPOINT: (H.OP_WRITE, set_checkpoint),
    lc.SUBMIT_UPDATE: (H.OP_WRITE, submit_update),
    lc.SETTINGS: (H.OP_READ, settings),
    lc.STORE_CHECK: (H.OP_READ, store_check),
    lc.GENERATE_ACCOUNT_KEY: (H.OP_WRITE, generate_account_key),
    lc.ACCOUNT_KEY: (H.OP_READ, account_key),
    lc.SIGN_TX: (H.OP_WRITE, sign_tx),
    lc.SIGN_REGISTRATION: (H.OP_WRITE, sign_registration),
    lc.SET_TX_POLICY: (H.OP_WRITE, set_tx_policy),
    lc.SIGN_USAGE: (H.OP_WRITE, sign_usage),
}
