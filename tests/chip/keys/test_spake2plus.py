# SPAKE2+ (lightclient.chip.keys.spake2plus): RFC 9383 Appendix C's P-256 vector value for value,
# then the edwards25519 suite the chip runs: both sides agree with the right code, a wrong code
# fails the confirmation, and every share a relay could substitute is refused.
import hashlib

import pytest

from lightclient.chip.keys import group_ed25519 as ED
from lightclient.chip.keys import spake2plus as S
from lightclient.chip.keys.errors import PairingError
from lightclient.owner import group_p256 as P256

H = bytes.fromhex
# RFC 9383, Appendix C (P256-SHA256-HKDF-SHA256-HMAC-SHA256)
RFC = dict(
    context=b"SPAKE2+-P256-SHA256-HKDF-SHA256-HMAC-SHA256 Test Vectors", idp=b"client",
    idv=b"server",
    w0=0xbb8e1bbcf3c48f62c08db243652ae55d3e5586053fca77102994f23ad95491b3,
    w1=0x7e945f34d78785b8a3ef44d0df5a1a97d6b3b460409a345ca7830387a74b1dba,
    x=0xd1232c8e8693d02368976c174e2088851b8365d0d79a9eee709c6a05a2fad539,
    y=0x717a72348a182085109c8d3917d6c43d59b224dc6a7fc4f0483232fa6516d8b3,
    L="04eb7c9db3d9a9eb1f8adab81b5794c1f13ae3e225efbe91ea487425854c7fc00f00bfedcbd09b2400142d40a14f2064ef31dfaa903b91d1faea7093d835966efd",
    X="04ef3bd051bf78a2234ec0df197f7828060fe9856503579bb1733009042c15c0c1de127727f418b5966afadfdd95a6e4591d171056b333dab97a79c7193e341727",
    Y="04c0f65da0d11927bdf5d560c69e1d7d939a05b0e88291887d679fcadea75810fb5cc1ca7494db39e82ff2f50665255d76173e09986ab46742c798a9a68437b048",
    Z="04bbfce7dd7f277819c8da21544afb7964705569bdf12fb92aa388059408d50091a0c5f1d3127f56813b5337f9e4e67e2ca633117a4fbd559946ab474356c41839",
    V="0458bf27c6bca011c9ce1930e8984a797a3419797b936629a5a937cf2f11c8b9514b82b993da8a46e664f23db7c01edc87faa530db01c2ee405230b18997f16b68",
    K_main="4c59e1ccf2cfb961aa31bd9434478a1089b56cd11542f53d3576fb6c2a438a29",
    K_confirmP="871ae3f7b78445e34438fb284504240239031c39d80ac23eb5ab9be5ad6db58a",
    K_confirmV="ccd53c7c1fa37b64a462b40db8be101cedcf838950162902054e644b400f1680",
    confirmP="926cc713504b9b4d76c9162ded04b5493e89109f6d89462cd33adc46fda27527",
    confirmV="9747bcc4f8fe9f63defee53ac9b07876d907d55047e6ff2def2e7529089d3e68",
    K_shared="0c5f8ccd1413423a54f6c1fb26ff01534a87f893779c6e68666d772bfd91f3e7",
)


def test_rfc9383_p256_vector():
    r = RFC
    w0b, L = S.verifier_record(P256, r["w0"], r["w1"])
    assert L == H(r["L"])
    prover = S.Prover(P256, r["context"], r["idp"], r["idv"], r["w0"], r["w1"])
    verifier = S.Verifier(P256, r["context"], r["idp"], r["idv"], int.from_bytes(w0b, "big"), L)
    assert prover.start(r["x"]) == H(r["X"])
    share_v, confirm_v = verifier.respond(H(r["X"]), r["y"])
    assert share_v == H(r["Y"])
    assert (verifier.k_main, verifier.k_confirm_p, verifier.k_confirm_v) == (
        H(r["K_main"]), H(r["K_confirmP"]), H(r["K_confirmV"]))
    assert confirm_v == H(r["confirmV"])
    confirm_p, k_prover = prover.finish(share_v, confirm_v)
    assert confirm_p == H(r["confirmP"])
    assert verifier.finish(confirm_p) == k_prover == H(r["K_shared"])


def test_rfc9383_m_n_are_the_rfc9382_seeds_points_for_edwards25519():
    # RFC 9382 section 6: the first SHA-256 chain value of the seed that decodes to a point of
    # the prime-order subgroup ([L]P = identity); checked here rather than trusted as hex.
    from lightclient.chip.crypto import edwards25519 as ed

    def from_seed(seed):
        h = hashlib.sha256(seed).digest()
        while True:
            pt = ed.decode_point(h)
            if pt is not None and ED.is_identity(ED.mul(ED.ORDER, pt)):
                return ed.encode_point(pt)
            h = hashlib.sha256(h).digest()
    assert from_seed(b"edwards25519 point generation seed (M)") == ED.encode(ED.M)
    assert from_seed(b"edwards25519 point generation seed (N)") == ED.encode(ED.N)


def _ed_run(code_w1_prover=None, x=0x1234567 << 200, y=0x7654321 << 190):
    w0, w1 = 0x1111 << 230, 0x2222 << 231
    w0b, L = S.verifier_record(ED, w0, w1)
    prover = S.Prover(ED, b"ctx", b"owner", b"device", w0, code_w1_prover or w1)
    verifier = S.Verifier(ED, b"ctx", b"owner", b"device", int.from_bytes(w0b, "big"), L)
    share_v, confirm_v = verifier.respond(prover.start(x), y)
    return prover, verifier, share_v, confirm_v


def test_edwards25519_both_sides_agree():
    prover, verifier, share_v, confirm_v = _ed_run()
    confirm_p, k = prover.finish(share_v, confirm_v)
    assert verifier.finish(confirm_p) == k and len(k) == 32


def test_edwards25519_a_wrong_code_fails_on_both_sides():
    prover, verifier, share_v, confirm_v = _ed_run(code_w1_prover=0x2223 << 231)
    with pytest.raises(PairingError) as e:
        prover.finish(share_v, confirm_v)
    assert e.value.check == "pake_confirmation"
    with pytest.raises(PairingError) as e:
        verifier.finish(bytes(32))
    assert e.value.check == "pake_confirmation"


@pytest.mark.parametrize("bad", [
    bytes(32),                                  # not canonical... (y = 0 is off the curve)
    H("0100000000000000000000000000000000000000000000000000000000000000"),   # the identity
    H("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),   # order 2
    H("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),   # non-canonical y
])
def test_edwards25519_bad_or_small_order_shares_are_refused(bad):
    w0b, L = S.verifier_record(ED, 5, 7)
    verifier = S.Verifier(ED, b"ctx", b"o", b"d", 5, L)
    with pytest.raises(PairingError) as e:
        verifier.respond(bad, 99)
    assert e.value.check == "pake_share"


def test_a_relay_that_changes_any_message_breaks_the_exchange():
    prover, verifier, share_v, confirm_v = _ed_run()
    tampered = ED.encode(ED.add(ED.decode(share_v), ED.base_mul(1)))
    with pytest.raises(PairingError):
        prover.finish(tampered, confirm_v)
    prover, verifier, share_v, confirm_v = _ed_run()
    with pytest.raises(PairingError):
        prover.finish(share_v, bytes([confirm_v[0] ^ 1]) + confirm_v[1:])
