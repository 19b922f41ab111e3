"""User-held keys on the real chain (issue 20): the owner pairs an emulated board (the chip's
32-bit build at the board's 96 KiB heap) with the code from its label, and x/devices records the
statement only with both signatures; settings live on chain only as envelopes, the chip opens
them and the Pi gets the plaintext; a second owner can neither read nor change them; a removed
device cannot read what is written after; a relay that tampers with the PAKE or a Pi that makes a
statement itself records nothing; no node stores a setting's plaintext."""

import secrets

import pytest

from lightclient.chip import cosmos_tx as ct
from lightclient.chip.keys import envelope, epochs, pairing
from lightclient.chip.keys.errors import EnvelopeError, PairingError
from lightclient.chip.smp import header as H
from lightclient.chip.smp import keys as K
from lightclient.localchain import devicetx
from lightclient.mcu import McuClient, McuError
from lightclient.owner import chain as oc
from lightclient.owner.onchain import OwnerChain, grant_in_force, open_on_chip
from lightclient.txclient import TxRejected
from tests.localchain import pairhelp

# a marker no encoding of the chain's own data contains: the plaintext scan looks for it
MARKER = ("lyon-" + secrets.token_hex(8)).encode()

@pytest.fixture(scope="module")
def world(chain, tmp_path_factory):
    cid = chain.info["chain_id"]
    a = pairhelp.board(tmp_path_factory.mktemp("board-a"), cid)
    b = pairhelp.board(tmp_path_factory.mktemp("board-b"), cid)
    c = pairhelp.board(tmp_path_factory.mktemp("board-c"), cid)
    try:
        owner = OwnerChain(pairhelp.funded_owner(chain), pairhelp.view(chain))
        stranger = OwnerChain(pairhelp.funded_owner(chain), pairhelp.view(chain))
        yield {"chain": chain, "a": a, "b": b, "c": c, "owner": owner, "stranger": stranger}
    finally:
        for board in (a, b, c):
            board[0].stop()


def _tx_code(excinfo):
    return excinfo.value.details.get("codespace"), excinfo.value.details.get("code")


def test_pair_set_and_the_chip_opens_the_setting(world):
    board, pub, code = world["a"]
    owner = world["owner"]
    with McuClient(board.port, timeout=20) as mcu:
        result = pairhelp.pair(mcu, owner.key, owner.chain_id, code)
    owner.pair(result)
    [(dev, record)] = owner.devices()
    assert dev == pub and record["x25519_key"] == result.device_x25519
    assert owner.owner_record()["epoch"] == 0

    _height, version = owner.set("location", b'{"city":"%s"}' % MARKER)
    assert version == 1
    assert owner.get("location").plaintext == b'{"city":"%s"}' % MARKER
    with McuClient(board.port, timeout=20) as mcu:
        opened = open_on_chip(owner.view, mcu, owner.address, "location")
    assert opened["plaintext"] == b'{"city":"%s"}' % MARKER and opened["version"] == 1
    world["paired_a"] = True


def test_a_relay_tampering_with_the_pake_records_nothing(world):
    if not world.get("paired_a"):
        pytest.fail("needs test_pair_set_and_the_chip_opens_the_setting (a store with a record: "
                    "ICS23 proves no absence in an empty store)")
    board, pub, code = world["b"]
    owner = world["owner"]

    def flip(field):
        def relay(step, payload):
            if field in payload:
                v = bytearray(payload[field])
                v[-1] ^= 1
                payload = dict(payload, **{field: bytes(v)})
            return payload
        return relay

    for field in ("share", "confirm"):
        with McuClient(board.port, timeout=20) as mcu, \
                pytest.raises((PairingError, McuError)):
            pairhelp.pair(mcu, owner.key, owner.chain_id, code, flip(field))
    assert owner.device(pub) is None            # an absence proven against a verified header
    assert [d for d, _r in owner.devices()] == [world["a"][1]]


def test_a_pi_cannot_pair_the_chip_to_itself(world):
    """The Pi holds neither the code nor the chip's key: its statement for the chip has no
    device signature the module accepts, and nothing is recorded."""
    board, pub, _code = world["b"]
    pi = world["stranger"]
    with McuClient(board.port, timeout=20) as mcu:
        x = mcu.keys(H.OP_READ, K.KEY_INFO)["x25519"]
    st = pairing.statement(pi.chain_id, pi.key.secp256k1_public, pub, x, bytes(32))
    signed = pairing.signing_bytes(st)
    own_sig = devicetx.backend.secp256k1_sign(pi.key.secp256k1_secret, signed)
    env = pi.book().pair(pub, x)
    with pytest.raises(TxRejected) as e:
        pi._send(oc.msg_pair_device(pi.address, st, own_sig, bytes(64), env))
    assert _tx_code(e) == ("devices", 24)       # ErrPairDeviceSignature
    assert pi.device(pub) is None


def test_a_second_owner_can_neither_read_nor_change_the_setting(world):
    if not world.get("paired_a"):
        pytest.fail("needs test_pair_set_and_the_chip_opens_the_setting")
    owner, stranger = world["owner"], world["stranger"]
    record_key = oc.settings_record_key(owner.address, "location")
    data = stranger.sealed(record_key)          # the ciphertext is public, proven
    assert data is not None
    with pytest.raises(EnvelopeError) as e:
        stranger.book().open(record_key, data, writers=[owner.book().writer])
    assert e.value.check == "envelope_not_recipient"
    # a write of its own to the owner's record, sealed and signed by the stranger: refused
    forged = stranger.book().seal(record_key, b'{"city":"elsewhere"}',
                                  envelope.parse(data)[envelope.K_VERSION] + 1)
    with pytest.raises(TxRejected) as e:
        stranger._send(oc.msg_put_sealed(stranger.address, forged))
    assert _tx_code(e) == ("devices", 32)       # ErrEnvelopeWriter: not the owner nor its device
    assert owner.get("location").version == 1


def test_a_removed_device_cannot_read_what_is_written_after(world):
    if not world.get("paired_a"):
        pytest.fail("needs test_pair_set_and_the_chip_opens_the_setting")
    owner = world["owner"]
    a_board, a_pub, _ = world["a"]
    b_board, b_pub, b_code = world["b"]
    with McuClient(b_board.port, timeout=20) as mcu:
        owner.pair(pairhelp.pair(mcu, owner.key, owner.chain_id, b_code))
    assert {d for d, _r in owner.devices()} == {a_pub, b_pub}
    owner.remove(a_pub)
    assert owner.owner_record()["epoch"] == 1 and owner.device(a_pub) is None
    owner.set("location", b'{"city":"after-%s"}' % MARKER)
    with McuClient(b_board.port, timeout=20) as mcu:
        assert open_on_chip(owner.view, mcu, owner.address, "location",
                            min_version=2)["plaintext"] == b'{"city":"after-%s"}' % MARKER
    with McuClient(a_board.port, timeout=20) as mcu, pytest.raises(McuError) as e:
        open_on_chip(owner.view, mcu, owner.address, "location")
    assert e.value.check == "envelope_not_recipient"
    world["removed"] = True


def test_the_owner_tool_pairs_sets_gets_lists_and_grants(world, tmp_path, monkeypatch, capsys):
    """`mycroft-lc owner init | pair | devices | set | get | grants | remove` on the chain."""
    import json

    from lightclient import cli
    net = world["chain"]
    cid = net.info["chain_id"]
    board, pub, code = world["c"]
    monkeypatch.setenv("MYCROFT_LC_PASSPHRASE", "correct horse")
    keyfile = str(tmp_path / "owner.key")
    assert cli.main(["owner", "init", keyfile, "--json"]) == 0
    capsys.readouterr()
    from lightclient.owner import keyfile as kf
    key = kf.read(keyfile, "correct horse")
    pairhelp.fund(net, oc.owner_address(key.secp256k1_public))
    anchor = net.rpc(0).light_block(1).light_block.signed_header.header.hash().hex()
    chain = ["--node", net.nodes[1]["rpc"], "--chain-id", cid, "--anchor", "1:" + anchor,
             "--json"]

    def run(*argv):
        code_ = cli.main(["owner", *argv, *chain])
        out = capsys.readouterr()
        assert code_ == 0, out.err
        return json.loads(out.out)

    assert run("pair", keyfile, "--mcu", board.port, "--code", code, "--open-window")["height"]
    listed = run("devices", keyfile)
    assert listed["epoch"] == 0 and [d["device"] for d in listed["devices"]] == [pub.hex()]
    assert run("set", keyfile, "wake_word", "--value", "hey-%s" % MARKER.decode())["version"] == 1
    assert run("get", keyfile, "wake_word")["value"] == "hey-%s" % MARKER.decode()
    with McuClient(board.port, timeout=20) as mcu:
        assert open_on_chip(pairhelp.view(net), mcu, oc.owner_address(key.secp256k1_public),
                            "wake_word")["plaintext"] == b"hey-" + MARKER

    grantee = world["stranger"].address
    far = 4102444800
    grants = run("grants", keyfile, "--add", grantee, "voice_samples", str(far))["grants"]
    assert [(g["grantee"], g["class"], g["expiry"]) for g in grants] == \
        [(grantee, "voice_samples", far)]
    assert run("grants", keyfile, "--revoke", grantee, "voice_samples")["grants"] == []
    # a wrong anchor: nothing the node says is believed
    assert cli.main(["owner", "devices", keyfile, "--node", net.nodes[0]["rpc"], "--chain-id",
                     cid, "--anchor", "1:" + "00" * 32]) != 0
    assert "owner_anchor" in capsys.readouterr().err
    assert run("remove", keyfile, pub.hex())["epoch"] == 1
    assert run("devices", keyfile)["devices"] == []
    world["tool"] = True


def test_a_grantee_within_and_beyond_its_grant(world):
    """The grant is read as the grantee would: proven, the owner's signature checked, and the
    expiry compared with the verified header's time; then revoked."""
    owner, grantee = world["owner"], world["stranger"]
    net = world["chain"]
    now_s = grantee.view.head().time_ns // 10 ** 9
    owner.grant(grantee.address, "skill_usage", now_s + 3)
    in_force, g = grant_in_force(grantee.view, owner.address, owner.key.secp256k1_public,
                                 grantee.address, "skill_usage")
    assert in_force and g["expiry"] == now_s + 3
    assert grant_in_force(grantee.view, owner.address, owner.key.secp256k1_public,
                          grantee.address, "voice_samples") == (False, None)
    # chain time moves on (blocks, not a local sleep) until a verified header is past the expiry
    while grantee.view.head().time_ns // 10 ** 9 < now_s + 3:
        net.wait_for_height(grantee.view.trusted.header.height + 1)
    assert grant_in_force(grantee.view, owner.address, owner.key.secp256k1_public,
                          grantee.address, "skill_usage")[0] is False
    owner.revoke(grantee.address, "skill_usage")
    grantee.view.min_height = owner.view.min_height
    assert grant_in_force(grantee.view, owner.address, owner.key.secp256k1_public,
                          grantee.address, "skill_usage") == (False, None)


def test_a_device_seals_its_own_write_on_the_chip_and_only_the_write_path_takes_it(world):
    """SEAL_OWN: the chip seals what it writes itself to the owner's epoch key (from the
    owner-signed epoch envelope), under write/<owner>/<its key>.<kind>, a record key it makes
    itself, and signs it with its device key; the owner opens it. It is a device write, taken
    only by MsgDeviceWrite (test_chain_api_writes.py): MsgPutSealed refuses it (29)."""
    if not world.get("removed"):
        pytest.fail("needs board b, paired by the removal test")
    owner, submitter = world["owner"], world["stranger"]
    board, pub, _code = world["b"]
    epoch = owner.owner_record()["epoch"]
    epoch_env = owner.sealed(epochs.epoch_record_key(owner.address, epoch))
    with McuClient(board.port, timeout=20) as mcu:
        out = mcu.keys(H.OP_WRITE, K.SEAL_OWN, {
            "epoch": epoch, "epoch_env": epoch_env, "kind": "settings_meta",
            "version": 1, "plaintext": b'{"units":"metric"}'})
    key = epochs.device_write_key(owner.address, pub, "settings_meta")
    assert out["key"] == key
    opened = owner.book().open(key, out["env"], writers=[("ed25519", pub)])
    assert opened.plaintext == b'{"units":"metric"}' and opened.writer == ("ed25519", pub)
    with pytest.raises(TxRejected) as e:
        submitter._send(oc.msg_put_sealed(submitter.address, out["env"]))
    assert _tx_code(e) == ("devices", 29)


def test_the_module_has_no_plaintext_settings_path(world):
    """Registration with settings and the old owner update are refused (ErrPlaintextSettings)."""
    net = world["chain"]
    secret = devicetx.key_secret(net.info, "owner")
    owner = devicetx.tx_client(net, devicetx.backend.secp256k1_public_key(secret),
                               ct.sign_secp256k1(secret))
    addr, pub = devicetx.key_info(net.info, "owner")
    device = bytes(31) + b"\x07"
    reg = devicetx.register_device_msg(net.info["chain_id"], addr, pub, device, b"lang=de")
    update = ct.msg_update_settings(addr, ct.bech32_address(
        devicetx.backend.secp256k1_public_key(device)), b"lang=de")
    for msg in (reg, update):
        with pytest.raises(TxRejected) as e:
            owner.send([[msg]])
        assert _tx_code(e) == ("devices", 38)


def test_no_node_stores_a_settings_plaintext_or_a_key(world):
    """Every file of every node (state, block store, tx index, logs): the record keys are there
    in the clear (the scan sees what nodes store); the settings' plaintext, the epoch secrets
    and the owner's secrets nowhere."""
    if not world.get("removed") or not world.get("tool"):
        pytest.fail("needs the settings written by the tests above")
    owner = world["owner"]
    book = owner.book()
    secrets_ = {"plaintext": MARKER, "owner secp256k1": owner.key.secp256k1_secret,
                "owner x25519": owner.key.x25519_secret}
    for n in range(book.epoch + 1):
        secrets_["epoch %d" % n] = book.epoch_secret(n)
    control = oc.settings_record_key(owner.address, "location")
    files, found_control, found = pairhelp.scan_node_files(world["chain"].dir, secrets_, control)
    assert files > 20 and found_control
    assert found == []
