"""Transactions built both by lightclient/chip/cosmos_tx.py and by cosmjs: every message the
device and the owner send, fees with granter and payer, zero account number and sequence."""

from lightclient.chip import cosmos_tx as ct

SECRETS = ["11" * 32, "c0ffee" * 10 + "abcd", "7f" * 32]
DEVICE = "mycroft1l3e9pgs3mmwuwrh95fecme0s0qtn2880m7slw9"
OWNER = "mycroft1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu"


def _h(b):
    return "hex:" + bytes(b).hex()


# (name, [(ours: (type_url, bytes), cosmjs: {type_url, value})], tx fields)
CASES = [
    ("device_write_skill_settings",
     [(ct.msg_device_write(DEVICE, "skill_settings", b'[{"skill_gid":"a","x":1}]'),
       {"type_url": ct.MSG_DEVICE_WRITE,
        "value": {"device": DEVICE, "kind": 1, "envelope": _h(b'[{"skill_gid":"a","x":1}]')}})],
     {"chain_id": "mycroft-local-1", "account_number": 12, "sequence": 0, "gas_limit": 200000,
      "fee": []}),
    ("device_write_metrics_fee_granter_payer_memo",
     [(ct.msg_device_write(DEVICE, "metrics", b'{"name":"timing"}'),
       {"type_url": ct.MSG_DEVICE_WRITE,
        "value": {"device": DEVICE, "kind": 3, "envelope": _h(b'{"name":"timing"}')}}),
      (ct.msg_device_write(DEVICE, "settings_meta", b"{}"),
       {"type_url": ct.MSG_DEVICE_WRITE,
        "value": {"device": DEVICE, "kind": 2, "envelope": _h(b"{}")}})],
     {"chain_id": "c", "account_number": 0, "sequence": 300, "gas_limit": 1,
      "fee": [["stake", 5], ["uatom", 123456789012345678901234567890]], "memo": "queued n+1",
      "granter": OWNER, "payer": DEVICE}),
    ("register_device_with_funding",
     [(ct.msg_register_device(OWNER, bytes.fromhex("02" + "ab" * 32), b"\x01settings",
                              bytes(range(64)), [("stake", 1000)]),
       {"type_url": ct.MSG_REGISTER_DEVICE,
        "value": {"owner": OWNER, "pubKey": _h(bytes.fromhex("02" + "ab" * 32)),
                  "settings": _h(b"\x01settings"), "deviceSignature": _h(bytes(range(64))),
                  "funding": [{"denom": "stake", "amount": "1000"}]}})],
     {"chain_id": "mycroft-local-1", "account_number": 3, "sequence": 7, "gas_limit": 300000,
      "fee": [["stake", 0]]}),
    ("update_settings_and_bank_send",
     [(ct.msg_update_settings(OWNER, DEVICE, b"lang=de"),
       {"type_url": ct.MSG_UPDATE_SETTINGS,
        "value": {"owner": OWNER, "device": DEVICE, "settings": _h(b"lang=de")}}),
      (ct.msg_send(OWNER, DEVICE, [("stake", 42)]),
       {"type_url": ct.MSG_SEND,
        "value": {"fromAddress": OWNER, "toAddress": DEVICE,
                  "amount": [{"denom": "stake", "amount": "42"}]}})],
     {"chain_id": "x" * 50, "account_number": 2 ** 64 - 1, "sequence": 2 ** 63,
      "gas_limit": 2 ** 64 - 1, "fee": [["stake", 2 ** 70]]}),
]


def oracle_cases(case_list=None):
    """The cases as the cosmjs oracle reads them (tests/cosmostx/cosmjs_oracle.js)."""
    out = []
    for i, (_name, msgs, tx) in enumerate(CASES if case_list is None else case_list):
        c = dict(tx)
        # numbers as strings: JSON numbers are doubles in node, and these reach 2**70
        for k in ("account_number", "sequence", "gas_limit"):
            c[k] = str(c[k])
        c["fee"] = [[d, str(a)] for d, a in c["fee"]]
        c["secret"] = SECRETS[i % len(SECRETS)]
        c["messages"] = [js for _ours, js in msgs]
        out.append(c)
    return out


def ours(i, sign):
    """(tx_raw, sign_doc, body, auth_info) of case i as lightclient.chip.cosmos_tx builds it."""
    _name, msgs, tx = CASES[i]
    secret = bytes.fromhex(SECRETS[i % len(SECRETS)])
    from lightclient.chip.crypto import secp256k1
    pub = secp256k1.public_key(secret)
    body = ct.tx_body([m for m, _js in msgs], tx.get("memo", ""))
    auth = ct.auth_info(pub, tx["sequence"], tx["gas_limit"], tx["fee"], tx.get("payer", ""),
                        tx.get("granter", ""))
    raw, doc = ct.build([m for m, _js in msgs], pub, tx["chain_id"], tx["account_number"],
                        tx["sequence"], sign(secret), tx["gas_limit"], tx["fee"],
                        tx.get("memo", ""), tx.get("payer", ""), tx.get("granter", ""))
    return raw, doc, body, auth
