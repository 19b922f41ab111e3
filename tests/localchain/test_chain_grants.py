"""Data sharing on the owner's terms on the real chain (issue 20, docs/grants.md): an emulated
board (the chip's 32-bit build at 96 KiB) registered by its owner uploads a class only while a
grant of it is in force, sealed to the grantees' X25519 keys proven from chain, the blob in the
local content-addressed store, its hash indexed by the device's own chip-signed transaction. A
grantee reads what its grant covers; beyond it (another class, after expiry, after revocation)
it gets typed errors, and what is uploaded after its revocation is not sealed to it. On net7
(tests/xdist_scheduling.py's SHARED_NET7 group)."""

import hashlib
import os

import pytest

from lightclient import txclient
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core import trusted_at_rest
from lightclient.hwtest.emulator import EmulatedBoard
from lightclient.localchain import devicetx
from lightclient.mcu import McuClient
from lightclient.owner import chain as oc
from lightclient.owner.keyfile import OwnerKey
from lightclient.owner.onchain import OwnerChain
from lightclient.sharing import chain as sc
from lightclient.sharing import grants, sealed_blob
from lightclient.sharing.blobstore import BlobClient, BlobError, BlobServer
from lightclient.txclient import TxRejected
from tests.localchain import pairhelp

VOICE = "voice_samples"
FAR = 4_102_444_800        # 2100-01-01


def _fund(net, addresses):
    """One transaction of the test keyring's owner paying each address (their fees)."""
    secret = devicetx.key_secret(net.info, "owner")
    funder = devicetx.tx_client(net, devicetx.backend.secp256k1_public_key(secret),
                                ct.sign_secp256k1(secret))
    from_addr, _ = devicetx.key_info(net.info, "owner")
    [(_r, height)] = funder.send([[ct.msg_send(from_addr, a, [("stake", 100000)])
                                   for a in addresses]])
    net.wait_for_height(height + 1)


@pytest.fixture(scope="module")
def world(net7, tmp_path_factory):
    d = tmp_path_factory.mktemp("grants")
    keys = [OwnerKey.generate() for _ in range(3)]
    _fund(net7, [oc.owner_address(k.secp256k1_public) for k in keys])
    owner, g1, g2 = (OwnerChain(k, pairhelp.view(net7)) for k in keys)
    board = EmulatedBoard("esp32-devkitc", d / "lcstore.img", heap=pairhelp.HEAP)
    board.start()
    store = BlobServer(d / "blobs").start()
    mcu = McuClient(board.port, timeout=pairhelp.MCU_TIMEOUT_S)
    try:
        acct = mcu.generate_account_key()
        mcu.set_checkpoint(trusted_at_rest.encode_trusted(devicetx.verified_state(net7)))
        consent = mcu.sign_registration(net7.info["chain_id"], oc.address20(owner.address))
        owner._send(ct.msg_register_device(owner.address, acct, b"", consent,
                                           [("stake", 5000)]))
        view = pairhelp.view(net7)
        # the device's own transactions: signed on the chip, which reads each SignDoc
        tx = txclient.TxClient(view.rpc, view.chain_id, acct, mcu.sign_tx,
                               lambda: view.account(ct.account_address(acct)),
                               wait_new_state=lambda: view.head(view.head().height + 1))
        grantees = [grants.Grantee(g) for g in (g1, g2)]
        for g in grantees:
            g.publish_key()
        yield {"net": net7, "owner": owner, "g1": grantees[0], "g2": grantees[1],
               "view": view, "tx": tx, "device": ct.bech32_address(acct), "mcu": mcu,
               "board": board,
               "store": store, "blobs": BlobClient(store.url), "dir": d / "blobs"}
    finally:
        mcu.close()
        store.stop()
        board.stop()


def _seen(world, height):
    """Every reader's next proof is at a header that commits block `height`."""
    for v in (world["view"], world["g1"].view, world["g2"].view, world["owner"].view):
        v.min_height = max(v.min_height, height + 1)


def _upload(world, klass, plaintext):
    r = grants.upload(world["view"], world["tx"], world["blobs"], world["device"], klass,
                      plaintext)
    _seen(world, r["height"])
    return r


def test_no_grant_no_upload(world):
    """The device refuses before anything is sealed or sent; a chip-signed record of a class
    with no grant is refused by the chain too (62)."""
    with pytest.raises(grants.NotCovered) as e:
        _upload(world, VOICE, b"sample")
    assert e.value.check == "no_grant"
    assert os.listdir(world["dir"]) == []
    with pytest.raises(TxRejected) as e:
        world["tx"].send([[sc.msg_put_blob(world["device"], VOICE, bytes(32), 10, 0,
                                           [world["g1"].address])]])
    assert (e.value.details.get("codespace"), e.value.details.get("code")) == ("devices", 62)


def test_a_grantee_within_and_beyond_its_grant(world):
    owner, g1, g2 = world["owner"], world["g1"], world["g2"]
    owner.grant(g1.address, VOICE, FAR)
    _seen(world, owner.grant(g2.address, VOICE, FAR))
    a = _upload(world, VOICE, b"voice sample A")
    assert a["recipients"] == [g1.address, g2.address] and a["epoch"] == 0
    [got] = g1.read(world["blobs"], owner.address, VOICE)
    assert got["plaintext"] == b"voice sample A" and got["sha256"] == a["sha256"]
    assert got["device"] == world["device"]
    # another class: no grant of it, nothing read
    with pytest.raises(grants.NotCovered) as e:
        g1.read(world["blobs"], owner.address, "skill_usage")
    assert e.value.check == "no_grant"
    with pytest.raises(grants.NotCovered) as e:
        _upload(world, "skill_usage", b"{}")
    assert e.value.check == "no_grant"

    # revocation: the class's next epoch, sealed to the grantees that stay
    _seen(world, owner.revoke(g1.address, VOICE))
    with pytest.raises(grants.NotCovered) as e:
        g1.read(world["blobs"], owner.address, VOICE)
    assert e.value.check == "no_grant"
    b = _upload(world, VOICE, b"voice sample B")
    assert b["recipients"] == [g2.address] and b["epoch"] == 1
    assert [r["plaintext"] for r in g2.read(world["blobs"], owner.address, VOICE)] == \
        [b"voice sample A", b"voice sample B"]
    # what was uploaded after its revocation does not open for g1, even with the bytes in hand
    [(_, rec_b)] = [(s, r) for s, r in g1.records(owner.address, VOICE) if r["epoch"] == 1]
    with pytest.raises(grants.NotCovered) as e:
        g1.open_blob(world["blobs"], owner.address, VOICE, rec_b)
    assert e.value.check == "blob_not_covered"
    with pytest.raises(sealed_blob.SealedBlobError) as e:
        sealed_blob.open_(world["blobs"].get(rec_b["sha256"]), world["view"].chain_id,
                          owner.address, VOICE, 1, {g1.key.x25519_public: g1.key.x25519_secret})
    assert e.value.check == "blob_not_recipient"

    # after expiry: g2's grant renewed for a few seconds of chain time, then past it
    now_s = g2.view.head().time_ns // 10 ** 9
    _seen(world, owner.grant(g2.address, VOICE, now_s + 3))
    assert g2.grant(owner.address, VOICE)["expiry"] == now_s + 3
    while g2.view.head().time_ns // 10 ** 9 < now_s + 3:
        world["net"].wait_for_height(g2.view.trusted.header.height + 1)
    with pytest.raises(grants.NotCovered) as e:
        g2.read(world["blobs"], owner.address, VOICE)
    assert e.value.check == "grant_expired"
    world["view"].head(g2.view.trusted.header.height)
    with pytest.raises(grants.NotCovered) as e:
        _upload(world, VOICE, b"voice sample C")
    assert e.value.check == "no_grant"


def test_the_owner_grantee_and_device_tools(world, tmp_path, monkeypatch, capsys):
    """`mycroft-lc owner grants` lists who may read what with its state and each class's epoch;
    `grantee read` writes what the grant covers; `blobs upload` signs on the chip."""
    import json

    from lightclient import cli
    from lightclient.owner import keyfile
    owner, g2, net = world["owner"], world["g2"], world["net"]
    if not world["g2"].records(owner.address, VOICE):
        pytest.fail("needs test_a_grantee_within_and_beyond_its_grant")
    monkeypatch.setenv("MYCROFT_LC_PASSPHRASE", "pw")
    files = {}
    for name, who in (("owner", owner), ("g2", g2)):
        files[name] = str(tmp_path / (name + ".key"))
        keyfile.write(files[name], who.key, "pw")
    anchor = net.rpc(0).light_block(1).light_block.signed_header.header.hash().hex()
    chain = ["--node", net.nodes[1]["rpc"], "--chain-id", net.info["chain_id"], "--anchor",
             "1:" + anchor, "--json"]

    def run(*argv, status=0):
        code = cli.main([*argv, *chain])
        out = capsys.readouterr()
        assert code == status, out.err
        return json.loads(out.out) if status == 0 else out.err

    listed = run("owner", "grants", files["owner"], "--class", "skill_usage")
    assert [(g["grantee"], g["state"], g["recipient_key"]) for g in listed["grants"]] == \
        [(g2.address, "expired", g2.key.x25519_public.hex())]
    assert listed["classes"] == {VOICE: {"epoch": 1, "blobs": 2},
                                 "skill_usage": {"epoch": 0, "blobs": 0}}
    assert "grant_expired" in run("grantee", "read", files["g2"], "--owner", owner.address,
                                  "--class", VOICE, "--blobs", world["store"].url, status=4)
    listed = run("owner", "grants", files["owner"], "--add", g2.address, VOICE, str(FAR))
    assert [g["state"] for g in listed["grants"]] == ["in force"]
    # the owner's own setting is a grant to itself, with its own key published
    run("grantee", "publish-key", files["owner"])
    listed = run("owner", "grants", files["owner"], "--add", owner.address, VOICE, str(FAR))
    assert [(g["grantee"], g["state"]) for g in listed["grants"]] == \
        [(g2.address, "in force"), (owner.address, "in force")]

    world["mcu"].close()      # the tool opens the chip's port itself
    (tmp_path / "c.wav").write_bytes(b"voice sample C")
    up = run("blobs", "upload", VOICE, str(tmp_path / "c.wav"), "--mcu", world["board"].port,
             "--blobs", world["store"].url)
    assert up["recipients"] == [g2.address, owner.address] and up["epoch"] == 1
    net.wait_for_height(up["height"] + 1)     # the state holding it is committed by the next
    out = tmp_path / "read"
    got = run("grantee", "read", files["g2"], "--owner", owner.address, "--class", VOICE,
              "--blobs", world["store"].url, "--out", str(out))
    assert [b["seq"] for b in got["blobs"]] == [0, 1, 2]
    assert sorted(p.read_bytes() for p in out.iterdir()) == \
        [b"voice sample A", b"voice sample B", b"voice sample C"]
    mine = run("grantee", "read", files["owner"], "--owner", owner.address, "--class", VOICE,
               "--blobs", world["store"].url, "--out", str(tmp_path / "mine"))
    assert [b["seq"] for b in mine["blobs"]] == [2]        # only what came after its grant
    assert [p.read_bytes() for p in (tmp_path / "mine").iterdir()] == [b"voice sample C"]


def test_a_store_serving_a_tampered_blob_is_caught_by_the_hash(world):
    owner = world["owner"]
    recs = world["g2"].records(owner.address, VOICE)
    assert recs, "needs test_a_grantee_within_and_beyond_its_grant"
    sha = recs[0][1]["sha256"]
    path = world["dir"] / sha.hex()
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(BlobError) as e:
        world["blobs"].get(sha)
    assert e.value.check == "blob_hash"
    assert hashlib.sha256(bytes(data)).digest() != sha
