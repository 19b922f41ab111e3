"""Rewards for serving light blocks on the real chain (x/servicerewards, docs/rewards.md), on
net7. Alice's device A1 serves light blocks on the LAN (its Pi's LanServer collecting receipts,
the owner's opt-in); Bob's device B1, whose chip runs in this process, syncs only from it, its
chip verifies the served blocks itself and then signs a receipt naming the header it verified;
the receipt is submitted with `mycroft-lc rewards submit`, and after the epoch the owners'
balances and the devices' earnings are proven with ICS23. Then the three ways to farm are tried
and refused with their codes: self-dealing (same owner), Sybil devices of one owner (registered,
unbonded) and two colluding owners beyond their bonds (the per-epoch cap); and a replay."""

import hashlib
import json
import os

import pytest

from lightclient import mcu_bridge
from lightclient import rewards as RW
from lightclient import cli, txclient
from lightclient.channels import balance
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.app import boot
from lightclient.chip.core import trusted_at_rest
from lightclient.chip.crypto import backend
from lightclient.chip.pay import receipt as R
from lightclient.chip.store.filedev import RamBlockDevice
from lightclient.client import LightClient
from lightclient.config import Config
from lightclient.lan import LanServer
from lightclient.localchain import devicetx
from lightclient.mcu import McuClient
from lightclient.pay import PayClient
from tests.chiplink import Wire
from tests.localchain.chainhelp import client_config

MIN_BOND = 10000          # x/servicerewards DefaultParams: cap = bond * 1% = one receipt per epoch
REWARD = 100


def _secret(label):
    return hashlib.sha256(b"rewards test device " + label).digest()


HOST_DEVICES = {"A1": "alice", "A2": "alice", "B2": "bob", "B3": "bob",
                "C1": "owner", "C2": "owner", "C3": "owner"}


def _addr20(secret):
    return ct.account_address(backend.secp256k1_public_key(secret))


def _owner(net, name):
    secret = devicetx.key_secret(net.info, name)
    pub = backend.secp256k1_public_key(secret)
    return ct.bech32_address(pub), devicetx.tx_client(net, pub, ct.sign_secp256k1(secret),
                                                      gas_limit=1500000)


def _host_receipt(net, header, server20, client_label):
    """A receipt a host-held device key signs (the chip's bytes: docs/vectors)."""
    secret = _secret(client_label)
    b = R.sign_bytes(net.info["chain_id"], server20, _addr20(secret), header.height,
                     header.hash())
    return b, backend.secp256k1_sign(secret, b)


def _refused(tx, msgs):
    with pytest.raises(txclient.TxRejected) as e:
        tx.send([msgs])
    assert e.value.details["codespace"] == RW.CODESPACE, e.value.details
    return RW.error_name(e.value.details["code"])


@pytest.fixture(scope="module")
def rw(net7, tmp_path_factory):
    """Devices of three owners registered (A1, A2: alice; B1 (a chip), B2, B3: bob; C1-C3: the
    test keyring's `owner`, never bonded); every alice and bob device bonded with MIN_BOND; the
    pool funded by `owner`."""
    net = net7
    chain = net.info["chain_id"]
    tmp = tmp_path_factory.mktemp("rewards")
    fw = boot.build(RamBlockDevice(4096, 32), b"\x0b" * 32, {"board": "test"}, os.urandom)
    mcu = McuClient(Wire(fw), timeout=10)
    acct = mcu.generate_account_key()
    anchor = devicetx.verified_state(net)
    mcu.set_checkpoint(trusted_at_rest.encode_trusted(anchor))
    owners = {n: _owner(net, n) for n in ("alice", "bob", "owner")}
    pubs = {n: devicetx.key_info(net.info, n)[1] for n in owners}
    consent = mcu.sign_registration(chain, ct.account_address(pubs["bob"]))
    msgs = {n: [] for n in owners}
    for label, owner in HOST_DEVICES.items():
        msgs[owner].append(devicetx.register_device_msg(chain, owners[owner][0], pubs[owner],
                                                        _secret(label.encode()), b""))
    msgs["bob"].insert(0, ct.msg_register_device(owners["bob"][0], acct, b"", consent))
    bonded = {"B1": ct.bech32_address(acct)}
    bonded.update({k: ct.bech32_address(backend.secp256k1_public_key(_secret(k.encode())))
                   for k in ("A1", "A2", "B2", "B3")})
    for label, device in bonded.items():
        owner = "alice" if label[0] == "A" else "bob"
        msgs[owner].append(RW.msg_bond(owners[owner][0], device, ("stake", MIN_BOND)))
    msgs["owner"].append(RW.msg_fund_pool(owners["owner"][0], ("stake", 100000)))
    sent = [owners[n][1].submit(msgs[n]) for n in owners]
    last = max(txclient.wait_included(net.rpc(0), s)[1] for s in sent)
    net.wait_for_height(last + 1)
    yield {"net": net, "chain": chain, "mcu": mcu, "pay": PayClient(mcu), "acct": acct,
           "anchor": anchor, "owners": owners, "devices": bonded, "tmp": tmp}
    mcu.close()


def _a(rw, label):
    """A device's 20-byte address."""
    if label == "B1":
        return ct.account_address(rw["acct"])
    return _addr20(_secret(label.encode()))


def _cli(capsys, rw, *args, exit=0):
    cfg = str(rw["tmp"] / "config.json")
    net = rw["net"]
    client_config(net, rw["tmp"] / "state", net.nodes[0]["rpc"], [net.nodes[1]["rpc"]]).save(cfg)
    capsys.readouterr()
    assert cli.main(["rewards"] + list(args) + ["--config", cfg, "--json"]) == exit, \
        capsys.readouterr()
    return json.loads(capsys.readouterr().out)


def _key_file(rw, name):
    path = rw["tmp"] / (name + ".hex")
    path.write_text(devicetx.key_secret(rw["net"].info, name).hex())
    return str(path)


def _proven_at(net, height, fn, *args):
    state = devicetx.verified_state(net, height=height)
    return fn(net.rpc(0), state.header, *args)


def test_two_owners_devices_serve_each_other_and_are_paid_after_the_epoch(rw, capsys):
    net, chain = rw["net"], rw["chain"]
    anchor = rw["anchor"].header
    params = RW.params(net.rpc(0), devicetx.verified_state(net).header)      # proven
    assert (params["min_bond"], params["reward_per_receipt"]) == (MIN_BOND, REWARD)
    epoch_blocks = params["epoch_blocks"]
    # start early in an epoch: the receipt's epoch stays open while it is collected and sent
    h = net.rpc(0).status()["latest_height"]
    if h % epoch_blocks > epoch_blocks // 3:
        net.wait_for_height((h // epoch_blocks + 1) * epoch_blocks + 1)
    # A1's Pi: a light client of the chain, serving on the LAN and collecting receipts
    server = LightClient(client_config(net, rw["tmp"] / "a1", net.nodes[0]["rpc"],
                                       [net.nodes[1]["rpc"]], anchor=anchor.height))
    server.sync(deadline_s=30)
    book_path = str(rw["tmp"] / "a1" / "receipts.json")
    lan = LanServer(server, receipts=RW.ReceiptBook(book_path, _a(rw, "A1"), chain))
    try:
        # B1's Pi: its only source is A1's LAN service; B1's chip verifies what it was served
        served = LightClient(Config(chain, anchor.height, anchor.hash(), str(rw["tmp"] / "b1"),
                                    central=lan.url, peers=[], trusting_period_s=86400))
        served.sync(deadline_s=30)
        head = served.trusted().light_block.signed_header.header
        assert head.hash() == server.trusted().light_block.signed_header.header.hash()
        assert mcu_bridge.push(rw["mcu"], served)["chip_height"] == head.height
        answer, signed = RW.give_receipt(rw["pay"], rw["acct"], lan.url)
        assert answer == {"kept": True}
        assert R.decode(signed["receipt"]) == (chain, _a(rw, "A1"), _a(rw, "B1"), head.height,
                                              head.hash())
        with pytest.raises(RW.ReceiptRefused) as e:       # the server keeps only what verifies
            RW.check_receipt(signed["receipt"], bytes(64), rw["acct"], _a(rw, "A1"), chain)
        assert e.value.check == "receipt_signature"
    finally:
        lan.close()
    # and A1's chip-less twin signs for B2, which served it the same header
    back = _host_receipt(net, head, _a(rw, "B2"), b"A1")
    out = _cli(capsys, rw, "submit", "--receipts", book_path, "--key", _key_file(rw, "owner"))
    assert out["submitted"] == 1
    [(_r, h2)] = rw["owners"]["owner"][1].send([[RW.msg_submit_receipts(
        rw["owners"]["owner"][0], [back])]])
    submitted = max(out["transactions"][0]["height"], h2)
    epoch = head.height // epoch_blocks
    assert submitted < (epoch + 2) * epoch_blocks, "submitted after its epoch closed: slow machine"
    # a replayed receipt is refused (in the same epoch, before the payout)
    assert _refused(rw["owners"]["owner"][1], [RW.msg_submit_receipts(
        rw["owners"]["owner"][0], [(signed["receipt"], signed["sig"])])]) == "duplicate_receipt"
    alice, bob = (rw["owners"][n][0] for n in ("alice", "bob"))
    # state after block `submitted` (header submitted+1), before the payout
    before = {o: _proven_at(net, submitted + 1, balance, _bech_bytes(o), "stake")
              for o in (alice, bob)}
    paid_at = (epoch + 2) * epoch_blocks + 2      # the first block of epoch+2 paid epoch
    net.wait_for_height(paid_at + 1)
    after = {o: _proven_at(net, paid_at, balance, _bech_bytes(o), "stake") for o in (alice, bob)}
    assert after[alice] - before[alice] == REWARD and after[bob] - before[bob] == REWARD
    e = _proven_at(net, paid_at, RW.earnings, _a(rw, "A1"))
    assert (e["total"], e["last_epoch"], e["last_receipts"], e["paid_to"]) == \
        (REWARD, epoch, 1, alice)
    shown = _cli(capsys, rw, "status", rw["devices"]["A1"], "--owner", alice)
    assert shown["earnings"]["total"] == REWARD and shown["bond"]["amount"] == MIN_BOND
    assert shown["bond"]["locked_until_epoch"] == epoch + params["unbond_lock_epochs"]
    assert shown["owner_balance"] == after[alice]        # alice sent nothing since


def _bech_bytes(addr):
    from lightclient.gov import address_bytes
    return address_bytes(addr)


def _fresh(rw):
    return devicetx.verified_state(rw["net"]).header


def test_self_dealing_is_refused(rw):
    # B1's chip signs for B2: both Bob's
    signed = rw["pay"].sign_receipt(_a(rw, "B2"))
    tx = rw["owners"]["owner"]
    assert _refused(tx[1], [RW.msg_submit_receipts(tx[0], [(signed["receipt"], signed["sig"])])]) \
        == "same_owner"


def test_sybil_devices_of_one_owner_earn_nothing(rw):
    head = _fresh(rw)
    tx = rw["owners"]["owner"]
    for server, client in (("C1", b"A2"), ("A2", b"C2"), ("C3", b"B3")):
        r = _host_receipt(rw["net"], head, _a(rw, server), client)
        assert _refused(tx[1], [RW.msg_submit_receipts(tx[0], [r])]) == "not_bonded"


def test_two_colluding_owners_earn_no_more_than_their_bonds_allow(rw, capsys):
    head = _fresh(rw)
    tx = rw["owners"]["owner"]
    batch = [_host_receipt(rw["net"], head, _a(rw, "A2"), c) for c in (b"B2", b"B3")]
    assert _refused(tx[1], [RW.msg_submit_receipts(tx[0], batch)]) == "server_epoch_cap"
    # twice the bond (`mycroft-lc rewards bond`, the bond proven after), twice the cap
    out = _cli(capsys, rw, "bond", rw["devices"]["A2"], "--amount", str(MIN_BOND),
               "--key", _key_file(rw, "alice"))
    assert out["bond"]["amount"] == 2 * MIN_BOND and out["verified_height"] > out["height"]
    head = _fresh(rw)
    batch = [_host_receipt(rw["net"], head, _a(rw, "A2"), c) for c in (b"B2", b"B3")]
    [(result, _h)] = tx[1].send([[RW.msg_submit_receipts(tx[0], batch)]])
    print("\nsubmit 2 receipts: gas_used %s" % result["gas_used"])


def test_a_false_receipt_costs_the_client_its_bond(rw):
    """A receipt naming a hash that is not the chain's is refused (9), and anyone can report it:
    the client's whole bond goes to the pool (proven)."""
    head = _fresh(rw)
    tx = rw["owners"]["owner"]
    secret = _secret(b"B3")
    lie = R.sign_bytes(rw["chain"], _a(rw, "A1"), _a(rw, "B3"), head.height, b"\x66" * 32)
    sig = backend.secp256k1_sign(secret, lie)
    assert _refused(tx[1], [RW.msg_submit_receipts(tx[0], [(lie, sig)])]) == "header_mismatch"
    [(_r, height)] = tx[1].send([[RW.msg_report_receipt(tx[0], lie, sig)]])
    rw["net"].wait_for_height(height + 2)
    b = _proven_at(rw["net"], height + 1, RW.bond, _a(rw, "B3"))
    assert (b["amount"], b["slashed"]) == (0, MIN_BOND)
