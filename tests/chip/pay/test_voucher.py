# The voucher's bytes (docs/vouchers.md): the vectors, bounded decoding with typed errors, and
# domain separation: the bytes of no other kind the device key signs are voucher bytes, and no
# signature of one kind verifies as another.
import hashlib
import json
import random
from pathlib import Path

import ecdsa
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

import lightclient.native  # noqa: F401  (the Pi's backend: coincurve signs too)
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.crypto import backend, pure
from lightclient.chip.pay import caps as C
from lightclient.chip.pay import voucher as V
from lightclient.chip.smp import lc
from lightclient.localchain import devicetx

VECTORS = json.loads((Path(__file__).with_name("vectors.json")).read_text())


def from_case(c):
    return V.Voucher(c["chain_id"], bytes.fromhex(c["channel"]), c["lane"], c["nonce"],
                     c["amount"], c["denom"])


@pytest.mark.parametrize("case", VECTORS["vouchers"], ids=lambda c: str(c["nonce"]))
def test_vectors(case):
    secret = bytes.fromhex(VECTORS["secret_key"])
    pub = bytes.fromhex(VECTORS["public_key"])
    b = V.sign_bytes(from_case(case))
    assert b.hex() == case["sign_bytes"]
    assert hashlib.sha256(b).hexdigest() == case["sha256"]
    assert V.decode(b) == from_case(case)
    sig = bytes.fromhex(case["signature"])
    assert pure.secp256k1_sign(secret, b) == sig == backend.secp256k1_sign(secret, b)
    assert pure.secp256k1_public_key(secret) == pub == backend.secp256k1_public_key(secret)
    # python-ecdsa, an independent implementation, verifies it as Cosmos' secp256k1 keys do
    vk = ecdsa.VerifyingKey.from_string(pub, curve=ecdsa.SECP256k1, hashfunc=hashlib.sha256)
    assert vk.verify(sig, b, hashfunc=hashlib.sha256)
    assert int.from_bytes(sig[32:], "big") <= ecdsa.SECP256k1.order // 2  # low s


def test_decode_refuses_with_the_failed_check():
    good = bytes.fromhex(VECTORS["vouchers"][0]["sign_bytes"])
    cases = {
        b"": "voucher_domain",
        b"x" * (V.MAX_BYTES + 1): "voucher_length",
        good[:-1]: "voucher_truncated",
        good + b"\x00": "voucher_trailing",
        good[:len(V.DOMAIN)]: "voucher_truncated",
        good[:len(V.DOMAIN)] + b"\x00" + good[len(V.DOMAIN) + 1:]: "voucher_truncated",
        good.replace(b"umyc", b"um c"): "voucher_denom",
        b"M" + good[1:]: "voucher_domain",
    }
    for b, check in cases.items():
        with pytest.raises(DecodeError) as e:
            V.decode(b)
        assert e.value.check == check, (b, e.value.check)
    with pytest.raises(DecodeError) as e:
        V.sign_bytes(V.Voucher("c", b"", 0, 0, 0, "umyc"))
    assert e.value.check == "voucher_channel"
    with pytest.raises(DecodeError) as e:
        V.sign_bytes(V.Voucher("c", b"\x01", 0, 0, 2**64, "umyc"))
    assert e.value.check == "voucher_amount"


def test_the_summary_says_what_is_paid_and_to_whom():
    assert V.summary(2000, 6, "MYC", "weather.example") == "pay 0.002 MYC to weather.example"
    assert V.summary(1500000, 6, "MYC", "stt.example") == "pay 1.5 MYC to stt.example"
    assert V.summary(7, 0, "TOK", "x") == "pay 7 TOK to x"


def _sign_doc_class():
    """cosmos.tx.v1beta1.SignDoc built from its field list by protobuf itself (no generated
    module in this repository): the oracle for what the SDK's SIGN_MODE_DIRECT signs."""
    f = descriptor_pb2.FileDescriptorProto(name="signdoc_oracle.proto", package="oracle")
    m = f.message_type.add(name="SignDoc")
    T = descriptor_pb2.FieldDescriptorProto
    for num, name, typ in ((1, "body_bytes", T.TYPE_BYTES), (2, "auth_info_bytes", T.TYPE_BYTES),
                           (3, "chain_id", T.TYPE_STRING), (4, "account_number", T.TYPE_UINT64)):
        m.field.add(name=name, number=num, type=typ, label=T.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("oracle.SignDoc"))


def _other_kinds(rnd):
    """Sign bytes of every other kind a device or owner key signs, with random contents."""
    SignDoc = _sign_doc_class()
    chain = "chain-%d" % rnd.randrange(100)
    out = []
    for _ in range(20):
        doc = SignDoc(body_bytes=rnd.randbytes(rnd.randrange(0, 40)),
                      auth_info_bytes=rnd.randbytes(rnd.randrange(0, 40)),
                      chain_id=chain if rnd.random() < 0.8 else "",
                      account_number=rnd.randrange(2**64))
        out.append(("sign_doc", doc.SerializeToString()))
    out.append(("adr036", json.dumps({"account_number": "0", "chain_id": "",
                                      "msgs": [{"type": "sign/MsgSignData"}]}).encode()))
    out.append(("statement", devicetx.registration_statement(chain, rnd.randbytes(20),
                                                             b"\x02" + rnd.randbytes(32))))
    for kind in lc.SIGN_KINDS[1:]:
        out.append(("lc_" + kind, lc.sign_message(kind, rnd.randbytes(30))))
    out.append(("reprovision", lc.reprovision_message("generate_key", rnd.randbytes(32), 3,
                                                      b"")))
    out.append(("caps", C.message_bytes(rnd.randbytes(40))))
    return out


def test_no_other_kind_is_voucher_bytes_and_no_signature_crosses_kinds():
    rnd = random.Random(5)
    secret = rnd.randbytes(32)
    pub = backend.secp256k1_public_key(secret)
    voucher = V.sign_bytes(from_case(VECTORS["vouchers"][1]))
    kinds = _other_kinds(rnd) + [("voucher", voucher)]
    for name, b in kinds[:-1]:
        with pytest.raises(DecodeError) as e:
            V.decode(b)
        assert e.value.check in ("voucher_domain", "voucher_length"), name
    sigs = [(name, b, backend.secp256k1_sign(secret, b)) for name, b in kinds]
    for name, b, sig in sigs:
        assert backend.secp256k1_verify(pub, b, sig)
        for other, b2, _ in sigs:
            if b2 != b:
                assert not backend.secp256k1_verify(pub, b2, sig), (name, other)
    # A SignDoc always starts with a tag of fields 1-4, a voucher with "m": never equal bytes.
    assert {b[0] for name, b in kinds if name == "sign_doc" and b} <= {0x0A, 0x12, 0x1A, 0x20}
