"""Firmware releases on the real chain (x/releases, docs/ota.md): a governance proposal carrying
MsgPublishRelease passes (every account with stake votes yes) and writes the release record; a
second one is voted down and writes nothing. The emulated board (the chip's 32-bit build) is
brought to a verified header with the record's ICS23 proof, verifies both itself, and smpmgr
installs the approved image; the image of the rejected proposal, and one never proposed, are
refused with the old image still running. A relay that forges the rejected image's record fails
the proof on the Pi and on the chip. On net7 (session fixture, voting period VOTING_PERIOD_S)."""

import base64
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lightclient import gov, mcu_bridge, native, releases, txclient
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.app import release_image as R
from lightclient.chip.core import trusted_at_rest
from lightclient.chip.core.errors import LightClientError, ProofError
from lightclient.chip.core.verifier import Options
from lightclient.chip.crypto import backend, ed25519
from lightclient.hwtest.emulator import EmulatedBoard
from lightclient.localchain import devicetx, relay
from lightclient.mcu import McuClient, McuError
from lightclient.sources import SourcePool
from tests.localchain.chainhelp import VOTING_PERIOD_S

BOARD = "esp32-devkitc"
REL_SEED = hashlib.sha256(b"chain release key").digest()
DEPOSIT = 10 ** 7          # x/gov's default min deposit
DAY_NS = 86400 * 10 ** 9
SMPMGR = Path(sys.executable).with_name("smpmgr")


def image(version, sv):
    payload = hashlib.sha256(version.encode()).digest() * 200
    return R.build_image(payload, version, sv, lambda m: ed25519.sign(REL_SEED, m))


APPROVED = image("0.2.0", 1)       # its proposal passes
REJECTED = image("0.2.1", 1)       # its proposal is voted down
NEVER = image("0.2.2", 1)          # signed, never proposed


def _signer(net, name, home=None):
    """(tx client, bech32) of a test-keyring account (validators' keys live in their node's
    home)."""
    secret = devicetx.key_secret({"client_home": home} if home else net.info, name)
    pub = backend.secp256k1_public_key(secret)
    return devicetx.tx_client(net, pub, ct.sign_secp256k1(secret)), ct.bech32_address(pub)


def _reader(net):
    return gov.GovReader.of_rpc(net.rpc(0), devicetx.verified_state(net).header)


def _smpmgr(port, *args):
    r = subprocess.run([str(SMPMGR), "--port", port, "--timeout", "20"] + list(args),
                       capture_output=True, text=True, timeout=300,
                       env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"})
    return r.returncode, r.stdout + r.stderr


@pytest.fixture(scope="module")
def board(net7, tmp_path_factory):
    """The emulated board with the release key, its checkpoint a header from before the
    proposals: it must verify its way forward to the one that proves the record."""
    d = tmp_path_factory.mktemp("release-board")
    state = d / "board.img"
    Path(str(state) + ".release_key").write_text(ed25519.public_key(REL_SEED).hex())
    with EmulatedBoard(BOARD, state_path=state) as b:
        with McuClient(b.port, timeout=20) as mcu:
            mcu.generate_key()
            mcu.set_checkpoint(trusted_at_rest.encode_trusted(devicetx.verified_state(net7)))
        yield b, d


@pytest.fixture(scope="module")
def voted(net7):
    """Two proposals in one transaction (ids n, n+1): publish APPROVED, publish REJECTED. Every
    account that holds stake votes yes on the first and no on the second; then the voting
    period ends. -> (approved id, rejected id)."""
    net = net7
    proposer, proposer_addr = _signer(net, "bob")
    proposer.gas_limit = 10 ** 6
    first = _reader(net).next_id()
    msgs = [gov.msg_submit_proposal(
        proposer_addr, [("stake", DEPOSIT)], "Release %s" % version, "firmware " + version,
        "ipfs://release-" + version,
        messages=[releases.msg_publish_release(img, 1, version, BOARD, pid)])
        for pid, img, version in ((first, APPROVED, "0.2.0"), (first + 1, REJECTED, "0.2.1"))]
    [(_r, height)] = proposer.send([msgs])
    net.wait_for_height(height + 1)
    r = _reader(net)
    assert [r.proposal(p)["status"] for p in (first, first + 1)] == ["VOTING_PERIOD"] * 2
    voters = [_signer(net, n) for n in ("owner", "alice", "bob")] + [
        _signer(net, n["name"], n["home"]) for n in net.nodes if n["validator"]]
    txs = [c.submit([gov.msg_vote(first, a, "yes"), gov.msg_vote(first + 1, a, "no")])
           for c, a in voters]
    for tx in txs:
        txclient.wait_included(net.rpc(0), tx)
    deadline = time.monotonic() + VOTING_PERIOD_S + 60
    while True:
        r = _reader(net)
        status = [r.proposal(p)["status"] for p in (first, first + 1)]
        if "VOTING_PERIOD" not in status:
            break
        assert time.monotonic() < deadline, "voting period did not end"
        net.wait_for_height(r.header.height + 1)
    assert status == ["PASSED", "REJECTED"], status
    return first, first + 1


def _pool(net):
    return SourcePool(net.rpc(0).url, [net.rpc(1).url])


def _push(net, port, image_hash):
    """Proves the image's record to the chip in an update to a header above its own."""
    with McuClient(port, timeout=30) as mcu:
        net.wait_for_height(int(mcu.status()["height"]) + 1)
        return releases.push(mcu, _pool(net), Options(DAY_NS), image_hash, time.time_ns(),
                             native.verify)


def _running(port):
    with McuClient(port, timeout=20) as mcu:
        return mcu.status()


def test_the_record_is_written_by_the_passed_proposal_only(net7, voted):
    passed, rejected = voted
    header = devicetx.verified_state(net7).header
    rec = releases.prove(_pool(net7), header, hashlib.sha256(APPROVED).digest()).record
    assert rec == {"h": hashlib.sha256(APPROVED).digest(), "sv": 1, "v": "0.2.0",
                   "board": BOARD, "p": passed}
    for img in (REJECTED, NEVER):      # proven absent
        assert releases.prove(_pool(net7), header, hashlib.sha256(img).digest()).value is None


def test_a_signer_other_than_gov_is_refused_with_the_modules_code(net7, voted):
    passed, _ = voted
    client, addr = _signer(net7, "alice")
    msg = releases.msg_publish_release(NEVER, 1, "0.2.2", BOARD, passed, authority=addr)
    with pytest.raises(txclient.TxRejected) as e:
        client.send([[msg]])
    assert (e.value.details.get("codespace"), e.value.details.get("code")) == ("releases", 2), \
        e.value.details


def test_the_approved_image_installs_and_the_others_are_refused(net7, voted, board):
    b, d = board
    proven, answers = _push(net7, b.port, hashlib.sha256(APPROVED).digest())
    assert proven.record["v"] == "0.2.0" and answers[-1]["height"] == proven.height + 1
    for name, img in (("rejected", REJECTED), ("never", NEVER)):
        _push(net7, b.port, hashlib.sha256(img).digest())    # proven absent: approves nothing
        path = d / (name + ".bin")
        path.write_bytes(img)
        rc, out = _smpmgr(b.port, "upgrade", "--slot", "1", "--format", "any", str(path))
        assert rc != 0, out                     # refused at the test mark, nothing reset
        st = _running(b.port)
        assert st["image"] == "0.1.0" and not st["image_trial"], (name, st)
    path = d / "approved.bin"
    path.write_bytes(APPROVED)
    rc, out = _smpmgr(b.port, "upgrade", "--slot", "1", "--format", "any", str(path))
    assert rc == 0, out
    st = _running(b.port)
    assert st["image"] == "0.2.0" and st["image_trial"] and st["last_boot"] == "trial of slot 1"
    rc, out = _smpmgr(b.port, "image", "state-write", "--confirm")
    assert rc == 0, out
    st = _running(b.port)
    assert st["image"] == "0.2.0" and not st["image_trial"] and st["security_version"] == 1


def test_a_relay_forging_the_record_fails_the_proof_on_the_pi_and_on_the_chip(net7, voted,
                                                                              board):
    """The liar says the rejected image was approved: the approved image's record and proof
    with the rejected image's hash in them (a well-formed record, a proof that cannot hold)."""
    passed, rejected = voted
    b, _d = board
    h_ok, h_bad = hashlib.sha256(APPROVED).digest(), hashlib.sha256(REJECTED).digest()
    key_ok = R.RECORD_PREFIX + h_ok
    liar = relay.Relay(net7.rpc(0).url)

    def lie(params, result):
        r = result["response"]
        for f in ("key", "value"):
            if r.get(f):
                r[f] = base64.b64encode(base64.b64decode(r[f]).replace(h_ok, h_bad)).decode()
        return result
    liar.hooks["abci_query"] = lie
    try:
        header = devicetx.verified_state(net7).header
        resp = net7.rpc(0).abci_query("/store/releases/key", key_ok, header.height - 1)
        value = base64.b64decode(resp["value"])
        resp["value"] = base64.b64encode(value.replace(h_ok, h_bad)).decode()
        with pytest.raises(ProofError):
            gov.verify_answer(resp, header, R.RECORD_PREFIX + h_bad, R.MAX_RECORD,
                              store="releases")
        with pytest.raises(LightClientError):
            releases.prove(SourcePool(liar.url, []), header, h_ok)
        # the chip checks it itself: the same lie in an update sent straight to it is refused
        with McuClient(b.port, timeout=30) as mcu:
            net7.wait_for_height(int(mcu.status()["height"]) + 1)
            pool = _pool(net7)
            chip = mcu_bridge.chip_state(pool, mcu.status())
            target = pool.race(lambda rpc: rpc.status()["latest_height"])[0]
            steps = mcu_bridge.plan(pool, chip, target, Options(DAY_NS), time.time_ns(),
                                    native.verify)
            honest = releases.prove(pool, steps[-1].signed_header.header, h_ok)
            *first, last = mcu_bridge.encode(chip, steps, honest)
            for u in first:
                mcu.submit_update(u, time.time_ns())
            before = mcu.status()["height"]
            lying = last.replace(h_ok, h_bad)
            assert lying.count(h_bad) >= 2          # in the record's key and in its value
            with pytest.raises(McuError) as e:
                mcu.submit_update(lying, time.time_ns())
            assert e.value.check.startswith("ics23_"), e.value     # the proof, by name
            assert mcu.status()["height"] == before    # nothing taken
            assert mcu.submit_update(last, time.time_ns())["height"] == target
    finally:
        liar.close()
