"""The device's side of usage tokens and the issuer (lightclient/usage_tokens.py,
lightclient/usage_issuer.py) without a chain: the device record and the header time are
arguments; the chip's signature is made with the same account-key signing the chip uses."""

import hashlib
import json

import pytest

from lightclient import blind_rsa, usage_tokens as U
from lightclient.chip import cosmos_tx as ct
from lightclient.chip import usage_request
from lightclient.chip.core.errors import DecodeError
from lightclient.chip.crypto import secp256k1
from lightclient.usage_issuer import Issuer, IssuerService, http_issue

CHAIN = "mycroft-usage-1"
EPOCH_S = 100
NOW = 1_700_000_050            # epoch 17,000,000
EPOCH = NOW // EPOCH_S
DEVICE = hashlib.sha256(b"usage test device").digest()
DEVICE_PUB = secp256k1.public_key(DEVICE)
ADDR = ct.account_address(DEVICE_PUB)
RECORD = {"owner": "mycroft1owner", "pub_key": DEVICE_PUB, "settings": b"", "version": 1}


@pytest.fixture(scope="module")
def sk():
    return blind_rsa.SecretKey.generate(2048)


def _issuer(sk, tmp_path, n=3, **kw):
    return Issuer(sk, CHAIN, n, EPOCH_S, counts_path=str(tmp_path / "counts.json"), **kw)


def _get(sk, issuer, counts, record=RECORD, secret=DEVICE, epoch=EPOCH, address=ADDR):
    return U.request_tokens(sk.public, CHAIN, epoch, address, counts,
                            lambda req: secp256k1.sign(secret, req),
                            lambda req, sig, bl: issuer.issue(req, sig, bl, NOW, record))


def test_token_message_layout_round_trip():
    m = U.token_message(CHAIN, EPOCH, "weather.example", b"\x01" * 32, b"\x02" * 32)
    assert m.startswith(b"mycroft-lc/usage-token/v1\x00" + bytes([len(CHAIN)]) + CHAIN.encode())
    assert U.parse_token_message(m) == {"chain_id": CHAIN, "epoch": EPOCH,
                                        "skill_id": "weather.example", "key_id": b"\x01" * 32,
                                        "nonce": b"\x02" * 32}
    for bad in (m[:-1], m + b"\x00", b"X" + m[1:], m[:30]):
        with pytest.raises(DecodeError):
            U.parse_token_message(bad)
    with pytest.raises(DecodeError):
        U.token_message(CHAIN, EPOCH, "Upper", b"\x01" * 32)


def test_tokens_issued_unblinded_and_checked(sk, tmp_path):
    issuer = _issuer(sk, tmp_path)
    toks = _get(sk, issuer, {"weather": 2, "jokes": 1})
    assert len(toks) == 3
    skills = sorted(U.check_token(sk.public, CHAIN, m, s)["skill_id"] for m, s in toks)
    assert skills == ["jokes", "weather", "weather"]
    assert len({U.parse_token_message(m)["nonce"] for m, _ in toks}) == 3
    m, s = toks[0]
    with pytest.raises(U.UsageError) as e:
        U.check_token(sk.public, CHAIN, m[:-1] + bytes([m[-1] ^ 1]), s)
    assert e.value.check == "token_signature"
    with pytest.raises(U.UsageError) as e:
        U.check_token(sk.public, "other-chain", m, s)
    assert e.value.check == "token_chain"


def test_at_most_n_per_device_per_epoch_across_restarts(sk, tmp_path):
    issuer = _issuer(sk, tmp_path, n=3)
    _get(sk, issuer, {"weather": 2})
    with pytest.raises(U.UsageError) as e:
        _get(sk, issuer, {"weather": 2})
    assert e.value.check == "issuer_quota"
    again = _issuer(sk, tmp_path, n=3)           # a restarted issuer keeps the count
    with pytest.raises(U.UsageError) as e:
        _get(sk, again, {"weather": 2})
    assert e.value.check == "issuer_quota"
    assert len(_get(sk, again, {"weather": 1})) == 1
    assert len(_get(sk, again, {"weather": 3}, epoch=EPOCH - 1)) == 3   # the last epoch's own N
    assert json.loads((tmp_path / "counts.json").read_text()) == {
        "%s/%d" % (ADDR.hex(), EPOCH): 3, "%s/%d" % (ADDR.hex(), EPOCH - 1): 3}


def test_issuer_refusals(sk, tmp_path):
    issuer = _issuer(sk, tmp_path, n=10)
    other = hashlib.sha256(b"another device").digest()
    cases = [
        (dict(record=None), "issuer_not_paired"),
        (dict(record=dict(RECORD, owner="")), "issuer_not_paired"),
        (dict(secret=other), "issuer_request_signature"),
        (dict(record=dict(RECORD, pub_key=secp256k1.public_key(other))), "issuer_device_key"),
        (dict(epoch=EPOCH - 2), "issuer_epoch"),
        (dict(epoch=EPOCH + 1), "issuer_epoch"),
    ]
    for kw, check in cases:
        with pytest.raises(U.UsageError) as e:
            _get(sk, issuer, {"weather": 1}, **kw)
        assert e.value.check == check, kw
    # blinded messages swapped for others than the chip signed
    req = usage_request.encode(CHAIN, EPOCH, sk.public.key_id(), ADDR, [b"\x00" * 32])
    with pytest.raises(U.UsageError) as e:
        issuer.issue(req, secp256k1.sign(DEVICE, req), [b"\x01" * 256], NOW, RECORD)
    assert e.value.check == "issuer_blinded"
    other_key = blind_rsa.SecretKey.generate(2048)
    with pytest.raises(U.UsageError) as e:       # the device uses a key the issuer does not hold
        _get(other_key, issuer, {"weather": 1})
    assert e.value.check == "issuer_key"
    assert issuer.counts == {}                   # nothing refused was counted


def test_issuer_view_fits_every_token_equally(sk, tmp_path):
    """Unlinkability: for each blinded message z_i the issuer saw and each finalized token
    (m_j, s_j), r = z_i^d / s_j is a blind with EM_j * r^e = z_i: every assignment of tokens to
    requests is equally consistent, so the issuer (who knows d) learns nothing of which
    device a token came from. And no byte string of a token appears in what it saw."""
    issuer = _issuer(sk, tmp_path, n=10, keep_seen=True)
    toks = _get(sk, issuer, {"weather": 2})
    toks += _get(sk, issuer, {"weather": 2}, secret=DEVICE)
    pk = sk.public
    zs = [int.from_bytes(b, "big") for s in issuer.seen for b in s["blinded"]]
    assert len(zs) == 4
    for z in zs:
        for m, sig in toks:
            s = int.from_bytes(sig, "big")
            r = pow(z, sk._d, pk.n) * pow(s, -1, pk.n) % pk.n
            assert pow(s, pk.e, pk.n) * pow(r, pk.e, pk.n) % pk.n == z
    seen = b"".join(b for s in issuer.seen for b in s["blinded"])
    for m, sig in toks:
        nonce = U.parse_token_message(m)["nonce"]
        for part in (nonce, sig[:16], hashlib.sha256(m).digest()):
            assert part not in seen


def test_issuer_service_over_http(sk, tmp_path, monkeypatch):
    """The shell: JSON over 127.0.0.1, the record from a prover (here a stub header and a
    record function standing for the ICS23 read the chain test exercises)."""
    issuer = _issuer(sk, tmp_path, n=2)

    class Header:
        time_ns = NOW * 10 ** 9

    svc = IssuerService(issuer, None, lambda: Header())
    monkeypatch.setattr("lightclient.usage_issuer.proven_device",
                        lambda rpc, header, a: RECORD if a == ADDR else None)
    svc.start()
    try:
        assert svc.url.startswith("http://127.0.0.1:")
        issue = http_issue(svc.url)
        toks = U.request_tokens(sk.public, CHAIN, EPOCH, ADDR, {"jokes": 2},
                                lambda req: secp256k1.sign(DEVICE, req), issue)
        assert len(toks) == 2
        with pytest.raises(U.UsageError) as e:
            U.request_tokens(sk.public, CHAIN, EPOCH, ADDR, {"jokes": 1},
                             lambda req: secp256k1.sign(DEVICE, req), issue)
        assert e.value.check == "issuer_quota"
    finally:
        svc.close()


def test_cross_language_token_vector():
    """docs/vectors/usage-tokens.json (x/usage's Go test verifies the same token): the message
    parses to its fields, the signature verifies, and the blind signature unblinds to it only
    with the right message."""
    from pathlib import Path
    v = json.loads((Path(__file__).parents[2] / "docs/vectors/usage-tokens.json").read_text())
    pk = blind_rsa.PublicKey.from_bytes(bytes.fromhex(v["Modulus"]), 65537)
    assert pk.key_id().hex() == v["KeyID"]
    t = U.check_token(pk, v["ChainID"], bytes.fromhex(v["Message"]), bytes.fromhex(v["Signature"]))
    assert (t["epoch"], t["skill_id"]) == (v["Epoch"], v["SkillID"])
    # the issuer's view of it (blinded message, blind signature) is not the token
    assert v["BlindedMessage"] != v["Message"] and v["BlindSignature"] != v["Signature"]
    assert pow(int(v["BlindSignature"], 16), 65537, pk.n) == int(v["BlindedMessage"], 16)


def test_use_counter_survives_and_forgets_only_what_became_tokens(tmp_path):
    from lightclient.usage_counter import UsageCounter
    c = UsageCounter(str(tmp_path))
    c.add(EPOCH, "weather", 2)
    c.add(EPOCH, "jokes")
    c.add(EPOCH + 1, "weather")
    assert UsageCounter(str(tmp_path)).counts() == {EPOCH: {"weather": 2, "jokes": 1},
                                                    EPOCH + 1: {"weather": 1}}
    c.take(EPOCH, {"weather": 1, "jokes": 1})
    assert c.counts() == {EPOCH: {"weather": 1}, EPOCH + 1: {"weather": 1}}
    c.take(EPOCH, {"weather": 1})
    assert c.counts() == {EPOCH + 1: {"weather": 1}}
    with pytest.raises(DecodeError):
        c.add(EPOCH, "Not A Skill")
    assert (tmp_path / "usage-counts.json").stat().st_mode & 0o077 == 0


def test_issuer_keygen_cli_writes_a_key_the_issuer_loads(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    from lightclient.usage_cli import load_issuer_key
    pem = tmp_path / "issuer.pem"
    cli = Path(sys.executable).with_name("mycroft-lc")
    out = subprocess.run([str(cli), "usage", "issuer-keygen", str(pem), "--json"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    doc = json.loads(out)
    sk = load_issuer_key(str(pem))
    assert doc["key_id"] == sk.public.key_id().hex()
    assert doc["modulus"] == sk.public.modulus_bytes().hex() and doc["exponent"] == 65537
    assert pem.stat().st_mode & 0o077 == 0


def test_decoders_of_untrusted_bytes_raise_only_decode_errors():
    """The chip's request decoder and the relay's token parser on mutated and cut inputs:
    a typed DecodeError or a value that encodes back to the same bytes, nothing else."""
    import random
    rng = random.Random(9474)
    req = usage_request.encode(CHAIN, EPOCH, b"\x05" * 32, ADDR, [b"\x06" * 32, b"\x07" * 32])
    tok = U.token_message(CHAIN, EPOCH, "weather", b"\x01" * 32, b"\x02" * 32)
    for _ in range(1000):
        for good, decode, encode in (
                (req, usage_request.decode, lambda d: usage_request.encode(*d)),
                (tok, U.parse_token_message, lambda d: U.token_message(
                    d["chain_id"], d["epoch"], d["skill_id"], d["key_id"], d["nonce"]))):
            b = bytearray(good)
            for _k in range(rng.randint(1, 4)):
                op = rng.randrange(3)
                if op == 0 and b:
                    b[rng.randrange(len(b))] = rng.randrange(256)
                elif op == 1:
                    del b[rng.randrange(len(b) + 1):]
                else:
                    b[rng.randrange(len(b) + 1):0] = bytes(rng.randrange(256) for _ in range(3))
            try:
                d = decode(bytes(b))
            except DecodeError:
                continue
            except UnicodeError:
                pytest.fail("UnicodeError escaped on %s" % bytes(b).hex())
            assert encode(d) == bytes(b)
