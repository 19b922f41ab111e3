"""checkpoint.py: weak subjectivity. A device whose trusted header is older than the trusting
period must not trust what it reaches first: k of n agreeing sources, or the owner's signed
checkpoint."""
import time

import pytest

from lightclient import checkpoint
from lightclient.chip import txs
from lightclient.chip.crypto import ed25519
from lightclient.chip.core.errors import SignatureError, VerificationError
from tests.client.fakenode import FakeChain

DAY = 86400
OWNER_SEED = b"\x07" * 32


@pytest.fixture(scope="module")
def month():
    """40 blocks one day apart: block 1 is 39 days old, beyond the 14-day trusting period."""
    return FakeChain(n_blocks=40, interval_s=DAY, head_time_ns=time.time_ns())


@pytest.fixture(scope="module")
def month_fork(month):
    return FakeChain(n_blocks=40, interval_s=DAY, head_time_ns=month.head_time_ns(),
                     diverge_at=30)


def test_expired_trust_recovers_with_k_of_n(make_net, month):
    net = make_net(month, n=3, ws_k=2)
    c = net.client()
    res = c.boot(5)
    assert res.ok and not res.stale and res.trusted_height == 40, res.error
    assert len(res.recovery["agreed_by"]) >= 2
    assert c.store.load_anchor()["source"] == "k_of_n"
    assert res.record.record["setting"]["lang"] == "en-us"


def test_one_source_is_not_enough_after_expiry(make_net, month):
    net = make_net(month, n=1, ws_k=2)
    res = net.client().boot(3)
    assert not res.ok and res.error["check"] == "ws_not_enough_sources"


def test_disagreeing_sources_give_no_checkpoint(make_net, month, month_fork):
    net = make_net(month, n=3, ws_k=3)
    net.nodes[2].data = month_fork       # validly signed, but another history
    c = net.client()
    res = c.boot(5)
    assert not res.ok and res.error["check"] == "ws_no_agreement"
    assert c.trusted().height == 1       # still the old anchor; nothing adopted


def test_forged_sources_are_rejected_and_banned_during_recovery(make_net, month):
    net = make_net(month, n=3, ws_k=2)
    net.nodes[0].set_mode("forged")
    c = net.client()
    res = c.boot(5)
    assert res.ok and res.trusted_height == 40
    assert net.nodes[0].url not in res.recovery["agreed_by"]
    assert net.nodes[0].url in [b["url"] for b in c.status()["banned"]]


def test_owner_signed_checkpoint(make_net, month):
    owner_pub = ed25519.public_key(OWNER_SEED)
    net = make_net(month, n=1, owner_pubkey=owner_pub)
    doc = checkpoint.sign_checkpoint(txs.seed_signer(OWNER_SEED), month.chain_id, 38,
                                     month.header_hash(38), time_s=int(time.time()))
    c = net.client(owner_checkpoint=doc)
    res = c.boot(5)
    assert res.ok and res.recovery["by"] == "owner", res.error
    assert c.store.load_anchor()["source"] == "owner"
    assert res.trusted_height == 40    # from 38, then synced to the head


def test_owner_checkpoint_with_another_key_is_refused(make_net, month):
    net = make_net(month, n=1, owner_pubkey=ed25519.public_key(OWNER_SEED))
    doc = checkpoint.sign_checkpoint(txs.seed_signer(b"\x09" * 32), month.chain_id, 38,
                                     month.header_hash(38))
    res = net.client(owner_checkpoint=doc).boot(3)
    assert not res.ok and res.error["check"] == "checkpoint_signature"


def test_owner_checkpoint_format_is_canonical_and_checked():
    pub = ed25519.public_key(OWNER_SEED)
    doc = checkpoint.sign_checkpoint(txs.seed_signer(OWNER_SEED), "c", 5, b"\x01" * 32, 100)
    assert txs.canonical_json(doc["checkpoint"]) == (
        b'{"chain_id":"c","hash":"' + b"01" * 32 + b'","height":5,"time":100,'
        b'"type":"mycroft-lc/checkpoint"}')
    assert checkpoint.verify_owner_checkpoint(doc, pub, "c") == (5, b"\x01" * 32)
    with pytest.raises(VerificationError):
        checkpoint.verify_owner_checkpoint(doc, pub, "other-chain")
    doc["checkpoint"]["height"] = 6
    with pytest.raises(SignatureError):
        checkpoint.verify_owner_checkpoint(doc, pub, "c")


def test_owner_checkpoint_naming_another_block_is_refused(make_net, month):
    net = make_net(month, n=1, owner_pubkey=ed25519.public_key(OWNER_SEED))
    doc = checkpoint.sign_checkpoint(txs.seed_signer(OWNER_SEED), month.chain_id, 38,
                                     month.header_hash(37))
    res = net.client(owner_checkpoint=doc).boot(3)
    assert not res.ok


def test_rebuilding_from_a_recovered_anchor_keeps_its_source(make_net, month):
    # init_from_anchor re-saved a recovered anchor as "provisioned".
    import os
    net = make_net(month, n=3, ws_k=2)
    assert net.client().boot(5).ok
    for name in ("blocks.json", "blocks.json.prev"):
        p = os.path.join(net.cfg.state_dir, name)
        if os.path.exists(p):
            os.remove(p)
    c = net.client()
    assert c.trusted() is None
    assert c.init_from_anchor().height == 40
    assert c.store.load_anchor()["source"] == "k_of_n"
