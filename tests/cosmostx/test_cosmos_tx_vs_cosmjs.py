"""lightclient/chip/cosmos_tx.py against @cosmjs/proto-signing, byte for byte: TxBody, AuthInfo,
SignDoc, TxRaw and the RFC 6979 low-s signature, for every message the device and the owner
send (x/devices registered in cosmjs from tools/chain/proto, bank MsgSend), with the pure
signer (the chip's code) and the Pi's libsecp256k1. The recorded answers are the vectors in
docs/cosmos-tx.md (docs/vectors/cosmos-tx.json)."""

import json
from pathlib import Path

import pytest

from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.crypto import pure, secp256k1
from lightclient.native import secp256k1 as native_secp
from tests.cosmostx import cases
from tests.cosmostx.oracle import cosmjs

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "vectors" / "cosmos-tx.json"
SIGNERS = {"pure": lambda secret: lambda doc: pure.secp256k1_sign(secret, doc),
           "libsecp256k1": lambda secret: lambda doc: native_secp.sign(secret, doc)}


@pytest.fixture(scope="module")
def theirs():
    return cosmjs(cases.oracle_cases())


@pytest.mark.parametrize("signer", sorted(SIGNERS))
def test_every_case_is_byte_equal_to_cosmjs(theirs, signer):
    for i, want in enumerate(theirs):
        raw, doc, body, auth = cases.ours(i, SIGNERS[signer])
        name = cases.CASES[i][0]
        assert body.hex() == want["body"], name
        assert auth.hex() == want["auth_info"], name
        assert doc.hex() == want["sign_doc"], name
        assert raw.hex() == want["tx_raw"], name
        assert raw[-64:].hex() == want["signature"], name


def test_the_recorded_vectors_still_hold(theirs):
    """docs/vectors/cosmos-tx.json is what cosmjs answered; ours must keep producing it even
    where cosmjs is not installed (the MicroPython test reads the same file)."""
    recorded = json.loads(VECTORS.read_text())
    assert [v["tx_raw"] for v in recorded["cases"]] == [t["tx_raw"] for t in theirs]
    for i, v in enumerate(recorded["cases"]):
        assert cases.ours(i, SIGNERS["pure"])[0].hex() == v["tx_raw"]


def test_decode_sign_doc_reads_what_the_signer_must_see(theirs):
    for i, want in enumerate(theirs):
        d = ct.decode_sign_doc(bytes.fromhex(want["sign_doc"]))
        _name, msgs, tx = cases.CASES[i]
        assert d["chain_id"] == tx["chain_id"]
        assert d["account_number"] == tx["account_number"]
        assert d["sequence"] == tx["sequence"]
        assert d["pub_key"].hex() == want["pub"]
        assert [u for u, _v in d["messages"]] == [m["type_url"] for _o, m in msgs]
        assert d["fee"] == [(dn, a) for dn, a in tx["fee"]]
        assert (d["gas_limit"], d["payer"], d["granter"]) == (
            tx["gas_limit"], tx.get("payer", ""), tx.get("granter", ""))
    write = ct.decode_sign_doc(bytes.fromhex(theirs[0]["sign_doc"]))["messages"][0][1]
    assert ct.write_signer(write) == cases.DEVICE


def _doc(**over):
    pub = secp256k1.public_key(bytes.fromhex(cases.SECRETS[0]))
    body = over.pop("body", None) or ct.tx_body([ct.msg_device_write(cases.DEVICE, "metrics",
                                                                     b"{}")])
    auth = over.pop("auth", None) or ct.auth_info(pub, 1, 1000)
    return ct.sign_doc(body, auth, over.pop("chain_id", "c"), 5)


@pytest.mark.parametrize("mutate, check", [
    (lambda d: d + b"\x28\x01", "sign_doc_shape"),                       # unknown field 5
    (lambda d: d + d[-2:], "sign_doc_shape"),                            # account_number twice
    (lambda d: d[:-3], "proto_truncated"),
    (lambda d: b"\x00" * 9000, "sign_doc_size"),
    (lambda d: _doc(chain_id=""), "sign_doc_chain_id"),
    (lambda d: _doc(body=ct.tx_body([ct.msg_device_write(cases.DEVICE, "metrics", b"")])
                    + b"\xfa\x3f\x00"), "sign_doc_body"),                # extension_options
    (lambda d: _doc(auth=b"\x12\x00"), "sign_doc_signers"),              # no signer
    (lambda d: _doc(auth=ct.auth_info(secp256k1.public_key(b"\x01" * 32), 0, 1).replace(
        b"\x08\x01", b"\x08\x7f", 1)), "sign_doc_mode"),                 # SIGN_MODE_TEXTUAL-ish
])
def test_a_sign_doc_the_signer_cannot_fully_read_is_refused(mutate, check):
    with pytest.raises(DecodeError) as e:
        ct.decode_sign_doc(mutate(_doc()))
    assert e.value.check == check


def test_builder_refuses_what_the_chain_would_misread():
    with pytest.raises(DecodeError):
        ct.msg_device_write(cases.DEVICE, "firmware", b"")
    with pytest.raises(DecodeError):
        ct.secp256k1_pubkey_any(b"\x04" + b"\x00" * 64)
    with pytest.raises(DecodeError):
        ct.tx_body([])
    with pytest.raises(DecodeError):
        ct.coin("stake", -1)


def test_bech32_addresses_equal_cosmjs(theirs):
    from lightclient.chip import bech32
    from lightclient.chip.crypto import ripemd160
    import hashlib
    for t in theirs:
        addr = ripemd160.ripemd160(hashlib.sha256(bytes.fromhex(t["pub"])).digest())
        assert bech32.encode("mycroft", addr) == t["address"]


def test_text_that_is_not_utf8_is_a_typed_error():
    """Found by the fuzzer (fuzz target cosmos_tx): a chain id, type URL or address that is
    not UTF-8 raised UnicodeDecodeError instead of a DecodeError."""
    with pytest.raises(DecodeError) as e:
        ct.decode_sign_doc(_doc(chain_id="c").replace(b"\x1a\x01c", b"\x1a\x01\x88"))
    assert e.value.check == "sign_doc_text"
    with pytest.raises(DecodeError):
        ct.write_signer(b"\x0a\x01\x88")
    with pytest.raises(DecodeError):
        ct.decode_account(ct.any_(ct.BASE_ACCOUNT, b"\x0a\x01\x88"))
