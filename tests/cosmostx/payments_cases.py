"""Payment-channel transactions built both by lightclient.channels (with
lightclient/chip/cosmos_tx.py) and by cosmjs: the owner's sign-up (registration, x/feegrant's
MsgGrantAllowance of a BasicAllowance from cosmjs-types, the first channel deposit), top-up,
settle and reclaim, the provider's redemption, the device's write paid by the owner's fee
grant, and the provider registry's messages. Recorded in docs/vectors/payments-tx.json (`python -m tests.cosmostx.payments_cases`)."""

from lightclient import channels as C
from lightclient.chip import cosmos_tx as ct
from lightclient.providers import registry
from tests.cosmostx import cases
from tests.cosmostx.cases import DEVICE, OWNER, _h

PROVIDER = "mycroft1zg69v7yszg69v7yszg69v7yszg69v7ys8xjtqe"   # bech32 only checked by the chain
CH = bytes(range(16))
SPENDER = bytes.fromhex("02" + "cd" * 32)
VOUCHER = bytes.fromhex("6d7963726f66742d6c632f766f75636865722f7631000f6d7963726f66742d6c6f63616c"
                        "2d31105eb25eb25eb25eb25eb25eb25eb25eb200000003000000000000002a0000000000"
                        "12d64404756d7963")


def _basic(limit, expiration=None):
    enc = b"".join(b"\x0a" + bytes([len(c)]) + c for c in ct.coins(limit))
    if expiration is not None:
        ts = b"\x08" + bytes(_uvarint(expiration))
        enc += b"\x12" + bytes([len(ts)]) + ts
    return {"typeUrl": C.BASIC_ALLOWANCE, "value": _h(enc)}


def _uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return out


def _open_js(deposit, delay):
    return {"type_url": C.MSG_OPEN_CHANNEL,
            "value": {"owner": OWNER, "channelId": _h(CH), "device": DEVICE,
                      "spender": _h(SPENDER), "provider": PROVIDER,
                      "deposit": {"denom": deposit[0], "amount": str(deposit[1])},
                      "settleDelayS": delay}}


REG = ct.msg_register_device(OWNER, SPENDER, b"", bytes(range(64)), ())
CASES = [
    ("owner_signs_up_a_device_fee_grant_and_first_deposit",
     [(REG, {"type_url": ct.MSG_REGISTER_DEVICE,
             "value": {"owner": OWNER, "pubKey": _h(SPENDER), "settings": _h(b""),
                       "deviceSignature": _h(bytes(range(64))), "funding": []}}),
      (C.msg_grant_allowance(OWNER, DEVICE, [("stake", 20000)]),
       {"type_url": C.MSG_GRANT_ALLOWANCE,
        "value": {"granter": OWNER, "grantee": DEVICE, "allowance": _basic([("stake", 20000)])}}),
      (C.msg_open_channel(OWNER, CH, DEVICE, SPENDER, PROVIDER, ("stake", 50000), 30),
       _open_js(("stake", 50000), 30))],
     {"chain_id": "mycroft-local-1", "account_number": 3, "sequence": 11, "gas_limit": 400000,
      "fee": [["stake", 400]]}),
    ("expiring_grant_top_up_settle_reclaim",
     [(C.msg_grant_allowance(OWNER, DEVICE, [("stake", 1), ("umyc", 2 ** 70)], 1893456000),
       {"type_url": C.MSG_GRANT_ALLOWANCE,
        "value": {"granter": OWNER, "grantee": DEVICE,
                  "allowance": _basic([("stake", 1), ("umyc", 2 ** 70)], 1893456000)}}),
      (C.msg_top_up(OWNER, CH, ("stake", 7)),
       {"type_url": C.MSG_TOP_UP, "value": {"owner": OWNER, "channelId": _h(CH),
                                            "amount": {"denom": "stake", "amount": "7"}}}),
      (C.msg_start_settle(OWNER, CH),
       {"type_url": C.MSG_START_SETTLE, "value": {"owner": OWNER, "channelId": _h(CH)}}),
      (C.msg_reclaim(OWNER, CH),
       {"type_url": C.MSG_RECLAIM, "value": {"owner": OWNER, "channelId": _h(CH)}})],
     {"chain_id": "mycroft-local-1", "account_number": 3, "sequence": 12, "gas_limit": 300000,
      "fee": []}),
    ("provider_redeems_a_voucher",
     [(C.msg_redeem(PROVIDER, VOUCHER, bytes(range(64))),
       {"type_url": C.MSG_REDEEM, "value": {"provider": PROVIDER, "voucher": _h(VOUCHER),
                                            "signature": _h(bytes(range(64)))}})],
     {"chain_id": "mycroft-local-1", "account_number": 40, "sequence": 0, "gas_limit": 200000,
      "fee": [["stake", 200]]}),
    ("device_write_fees_paid_by_the_owners_grant",
     [(ct.msg_device_write(DEVICE, "metrics", b'{"n":1}'),
       {"type_url": ct.MSG_DEVICE_WRITE,
        "value": {"device": DEVICE, "kind": 3, "envelope": _h(b'{"n":1}')}})],
     {"chain_id": "mycroft-local-1", "account_number": 41, "sequence": 0, "gas_limit": 200000,
      "fee": [["stake", 200]], "granter": OWNER}),
    ("provider_registers_two_services_and_leaves_one",
     [(registry.msg_register_provider(PROVIDER, "stt", "http://127.0.0.1:8001/", ("stake", 1000)),
       {"type_url": registry.MSG_REGISTER_PROVIDER,
        "value": {"provider": PROVIDER, "service": "stt", "endpoint": "http://127.0.0.1:8001/",
                  "price": {"denom": "stake", "amount": "1000"}}}),
      (registry.msg_register_provider(PROVIDER, "weather", "https://w.example/v1",
                                      ("umyc", 2 ** 64 - 1)),
       {"type_url": registry.MSG_REGISTER_PROVIDER,
        "value": {"provider": PROVIDER, "service": "weather", "endpoint": "https://w.example/v1",
                  "price": {"denom": "umyc", "amount": str(2 ** 64 - 1)}}}),
      (registry.msg_deregister_provider(PROVIDER, "weather"),
       {"type_url": registry.MSG_DEREGISTER_PROVIDER,
        "value": {"provider": PROVIDER, "service": "weather"}})],
     {"chain_id": "mycroft-local-1", "account_number": 40, "sequence": 1, "gas_limit": 200000,
      "fee": [["stake", 200]]}),
]


def oracle_cases():
    return cases.oracle_cases(CASES)


def ours(i, sign):
    """(tx_raw, sign_doc) of case i as lightclient.chip.cosmos_tx builds it."""
    from lightclient.chip.crypto import secp256k1
    _name, msgs, tx = CASES[i]
    secret = bytes.fromhex(cases.SECRETS[i % len(cases.SECRETS)])
    raw, doc = ct.build([m for m, _js in msgs], secp256k1.public_key(secret), tx["chain_id"],
                        tx["account_number"], tx["sequence"], sign(secret), tx["gas_limit"],
                        tx["fee"], "", tx.get("payer", ""), tx.get("granter", ""))
    return raw, doc


def record():
    import json
    from tests.cosmostx.oracle import REPO, cosmjs
    inputs = oracle_cases()
    out = {"about": "Payment-channel transactions (x/payments messages, x/feegrant "
                    "MsgGrantAllowance of a BasicAllowance, a device write paid by a fee grant): "
                    "inputs and what @cosmjs/proto-signing 0.39.0 built for them (hex). Spec: "
                    "docs/payments.md; checked by tests/cosmostx/test_payments_tx_vs_cosmjs.py.",
           "cases": []}
    for (name, _m, _t), c, r in zip(CASES, inputs, cosmjs(inputs)):
        out["cases"].append({"name": name, "input": c, **r})
    (REPO / "docs" / "vectors" / "payments-tx.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    record()
