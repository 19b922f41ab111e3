# The chip builds and signs the transactions of docs/vectors/cosmos-tx.json (what cosmjs built)
# on its own interpreter (32-bit MicroPython 1.27, lccrypto's secp256k1): the same bytes, so the
# builder is in the chip's subset and lccrypto's signatures are the RFC 6979 low-s ones.
import json
from pathlib import Path

from tests.chip32.chip32 import run

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "vectors" / "cosmos-tx.json"

SCRIPT = r"""
import json
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.crypto import backend
import binascii

def b(v):
    return binascii.unhexlify(v[4:]) if v.startswith("hex:") else v

def coins(cs):
    return [(c["denom"], int(c["amount"])) for c in cs]

def msg(m):
    u, v = m["type_url"], m["value"]
    if u == ct.MSG_DEVICE_WRITE:
        kind = [k for k in ct.WRITE_KINDS if ct.WRITE_KINDS[k] == v["kind"]][0]
        return ct.msg_device_write(v["device"], kind, b(v["envelope"]))
    if u == ct.MSG_REGISTER_DEVICE:
        return ct.msg_register_device(v["owner"], b(v["pubKey"]), b(v["settings"]),
                                      b(v["deviceSignature"]), coins(v["funding"]))
    if u == ct.MSG_UPDATE_SETTINGS:
        return ct.msg_update_settings(v["owner"], v["device"], b(v["settings"]))
    return ct.msg_send(v["fromAddress"], v["toAddress"], coins(v["amount"]))

print("BACKEND", backend.backend_name())
for case in json.loads(CASES):
    c = case["input"]
    secret = binascii.unhexlify(c["secret"])
    pub = backend.secp256k1_public_key(secret)
    raw, doc = ct.build([msg(m) for m in c["messages"]], pub, c["chain_id"],
                        int(c["account_number"]), int(c["sequence"]), ct.sign_secp256k1(secret),
                        int(c["gas_limit"]), [(d, int(a)) for d, a in c["fee"]],
                        c.get("memo", ""), c.get("payer", ""), c.get("granter", ""))
    d = ct.decode_sign_doc(doc)
    print("TX", binascii.hexlify(raw).decode(), ct.bech32_address(pub), d["sequence"])
"""


def test_the_chip_builds_and_signs_the_cosmjs_vectors():
    cases = json.loads(VECTORS.read_text())["cases"]
    p = run("CASES = %r\n" % json.dumps(cases) + SCRIPT, heap="256K")
    assert p.returncode == 0, p.stderr[-2000:]
    lines = p.stdout.split("\n")
    assert lines[0] == "BACKEND lccrypto"
    got = [ln.split() for ln in lines if ln.startswith("TX ")]
    assert [g[1] for g in got] == [c["tx_raw"] for c in cases]
    assert [g[2] for g in got] == [c["address"] for c in cases]
    assert [int(g[3]) for g in got] == [int(c["input"]["sequence"]) for c in cases]
