"""lightclient/blind_rsa.py against RFC 9474 Appendix A (docs/vectors/rfc9474-blindrsa.json: the
four SHA-384 variants, each step byte for byte), and its typed refusals."""

import json
from pathlib import Path

import pytest

from lightclient import blind_rsa as B

VECTORS = json.loads((Path(__file__).parents[2] / "docs/vectors/rfc9474-blindrsa.json").read_text())


def _h(s):
    return bytes.fromhex(s[2:] if s.startswith("0x") else s)


def _i(s):
    return int(s, 16)


@pytest.fixture(scope="module")
def key():
    return B.SecretKey.generate(2048)


@pytest.mark.parametrize("v", VECTORS, ids=[v["name"] for v in VECTORS])
def test_rfc9474_vector(v):
    sk = B.SecretKey.from_numbers(_i(v["p"]), _i(v["q"]), _i(v["e"]), _i(v["d"]))
    pk = sk.public
    assert pk.n == _i(v["n"])
    input_msg = _h(v["input_msg"])       # Prepare: msg_prefix || msg (empty prefix: Deterministic)
    assert input_msg == _h(v["msg_prefix"]) + _h(v["msg"])
    salt = _h(v["salt"])
    assert len(salt) == _i(v["sLen"])
    if "encoded_msg" in v:
        assert B.emsa_pss_encode(input_msg, pk.n.bit_length() - 1, salt) == _h(v["encoded_msg"])
    r = pow(_i(v["inv"]), -1, pk.n)
    blinded, state = B.blind(pk, input_msg, salt=salt, r=r)
    assert blinded == _h(v["blinded_msg"])
    assert state.inv == _i(v["inv"])
    blind_sig = sk.blind_sign(blinded)
    assert blind_sig == _h(v["blind_sig"])
    assert B.finalize(pk, state, blind_sig, salt_len=len(salt)) == _h(v["sig"])


def test_round_trip_is_a_plain_pss_signature(key):
    pk = key.public
    blinded, state = B.blind(pk, b"token message")
    sig = B.finalize(pk, state, key.blind_sign(blinded))
    pk.verify(b"token message", sig)
    with pytest.raises(B.BlindRsaError) as e:
        pk.verify(b"token messagf", sig)
    assert e.value.check == "signature"


def test_blinded_message_hides_the_message(key):
    """Two blindings of one message share nothing; a blinded message is not the PSS encoding."""
    pk = key.public
    a, _ = B.blind(pk, b"same")
    b, _ = B.blind(pk, b"same")
    assert a != b


def test_finalize_refuses_a_wrong_blind_signature(key):
    pk = key.public
    blinded, state = B.blind(pk, b"m")
    other, _ = B.blind(pk, b"n")
    with pytest.raises(B.BlindRsaError) as e:
        B.finalize(pk, state, key.blind_sign(other))
    assert e.value.check == "signature"
    with pytest.raises(B.BlindRsaError) as e:
        B.finalize(pk, state, b"\x01" * 10)
    assert e.value.check == "unexpected_input_size"


def test_blind_sign_bounds_its_input(key):
    with pytest.raises(B.BlindRsaError) as e:
        key.blind_sign(b"\x00" * 255)
    assert e.value.check == "unexpected_input_size"
    with pytest.raises(B.BlindRsaError) as e:
        key.blind_sign(b"\xff" * 256)
    assert e.value.check == "invalid_input"


def test_public_key_bounds():
    with pytest.raises(B.BlindRsaError) as e:
        B.PublicKey((1 << 1023) + 1, 65537)
    assert e.value.check == "issuer_key_size"
    with pytest.raises(B.BlindRsaError) as e:
        B.PublicKey((1 << 2047) + 1, 3)
    assert e.value.check == "issuer_key_exponent"
