"""Skill-usage tokens on the real chain (x/usage, docs/usage-tokens.md), on net7 (its genesis
sets 10 s epochs and a first issuer key, net7.usage_issuer): the emulated board (the sealed
device, paired by its owner) has its chip sign a token request; the issuer (127.0.0.1) checks
the device is paired from its ICS23-proven x/devices record and signs blinded messages, at most
N per device per epoch; the Pi unblinds. A relay (not the device) redeems; the skill creator is
paid after the epoch closes, its balance proven. A double spend is refused (usage code 11); a
token under the key a governance proposal replaced is refused (code 9); the redemption
transaction carries nothing the issuer saw."""

import base64
import json
import time

import pytest

from lightclient import blind_rsa, channels, cli, gov, releases, txclient
from lightclient import usage_tokens as U
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.crypto import backend
from lightclient.localchain import devicetx
from lightclient.mcu import McuClient
from lightclient.usage_issuer import Issuer, IssuerService, http_issue
from tests.localchain.chainhelp import USAGE_EPOCH_S, VOTING_PERIOD_S, client_config

N = 3
DEPOSIT = 10 ** 7
WEATHER, JOKES = "weather.example", "jokes.example"


def _signer(net, name, home=None):
    secret = devicetx.key_secret({"client_home": home} if home else net.info, name)
    pub = backend.secp256k1_public_key(secret)
    return devicetx.tx_client(net, pub, ct.sign_secp256k1(secret)), ct.bech32_address(pub)


def _header(net):
    return devicetx.verified_state(net).header


@pytest.fixture(scope="module")
def world(net7, sealed_device, tmp_path_factory):
    """The creator registers two skills and funds the pool; the issuer serves on 127.0.0.1."""
    net = net7
    creator, creator_addr = _signer(net, "alice")
    relay, relay_addr = _signer(net, "bob")
    [(_r, h)] = creator.send([[U.msg_register_skill(creator_addr, WEATHER),
                               U.msg_register_skill(creator_addr, JOKES),
                               U.msg_fund_pool(creator_addr, ("stake", 5_000_000))]])
    net.wait_for_height(h + 1)
    d = tmp_path_factory.mktemp("usage-issuer")
    issuer = Issuer(net.usage_issuer, net.info["chain_id"], N, USAGE_EPOCH_S,
                    counts_path=str(d / "counts.json"), keep_seen=True)
    svc = IssuerService(issuer, net.rpc(0), lambda: _header(net)).start()
    try:
        yield {"net": net, "creator": creator_addr, "relay": relay, "relay_addr": relay_addr,
               "issuer": issuer, "svc": svc, "device": sealed_device, "tokens": {}}
    finally:
        svc.close()


def _device_tokens(w, counts, epoch=None):
    """The device's side: issuer key, params and epoch from verified state, its chip signs."""
    net = w["net"]
    header = _header(net)
    pk = U.issuer_key(net.rpc(0), header)
    p = U.params(net.rpc(0), header)
    if epoch is None:
        epoch = U.epoch_of(header.time_ns // 10 ** 9, p["epoch_seconds"])
    address20 = gov.address_bytes(w["device"]["address"])
    with McuClient(w["device"]["port"], timeout=60) as mcu:
        toks = U.request_tokens(pk, net.info["chain_id"], epoch, address20, counts,
                                mcu.sign_usage_request, http_issue(w["svc"].url))
    return pk, epoch, toks


def _redeem(w, toks):
    return w["relay"].send([[U.msg_redeem_tokens(w["relay_addr"], toks)]])[0]


def _rejected(w, toks):
    with pytest.raises(txclient.TxRejected) as e:
        _redeem(w, toks)
    return e.value.details.get("codespace"), U.error_name(e.value.details.get("code"))


def test_tokens_issued_to_the_paired_device_and_redeemed_by_a_relay(world):
    w = world
    pk, epoch, toks = _device_tokens(w, {WEATHER: 2, JOKES: 1})
    assert pk.key_id() == w["issuer"].key_id and len(toks) == 3
    # N per device per epoch: a fourth for that epoch is refused, whatever skill it is for
    with pytest.raises(U.UsageError) as e:
        _device_tokens(w, {JOKES: 1}, epoch=epoch)
    assert e.value.check == "issuer_quota"
    weather = [t for t in toks if U.parse_token_message(t[0])["skill_id"] == WEATHER]
    jokes = [t for t in toks if U.parse_token_message(t[0])["skill_id"] == JOKES]
    _r, h = _redeem(w, [weather[0], jokes[0]])
    w["net"].wait_for_height(h + 1)
    header = _header(w["net"])
    for m, _s in (weather[0], jokes[0]):
        assert U.is_spent(w["net"].rpc(0), header, m)
    t = U.parse_token_message(weather[0][0])
    assert U.skill_tally(w["net"].rpc(0), header, t["epoch"], WEATHER)[0] >= 1
    w["tokens"].update(epoch=t["epoch"], spent=weather[0], kept=weather[1], redeem_height=h)


def test_a_double_spend_is_refused(world):
    w = world
    assert _rejected(w, [w["tokens"]["spent"]]) == ("usage", "double_spend")


def test_a_device_may_not_submit_tokens(world):
    """A registered device's account (net7.device, funded here for its fee) is refused by the
    module: its signature and fee would link the tokens to it."""
    w = world
    net = w["net"]
    dev = net.device
    dev_addr = ct.bech32_address(dev.public_key.format(True))
    w["relay"].send([[ct.msg_send(w["relay_addr"], dev_addr, [("stake", 1_000_000)])]])
    c = devicetx.tx_client(net, dev.public_key.format(True), ct.sign_secp256k1(dev.secret))
    with pytest.raises(txclient.TxRejected) as e:
        c.send([[U.msg_redeem_tokens(dev_addr, [w["tokens"]["kept"]])]])
    assert (e.value.details.get("codespace"), U.error_name(e.value.details.get("code"))) == \
        ("usage", "device_submitter")


def test_the_issuer_saw_nothing_of_the_redeemed_tokens(world):
    """The redemption is the relay's transaction (its account signs and pays); neither it nor
    the tokens carry a byte of what the issuer saw (blinded messages), nor the device."""
    w = world
    net = w["net"]
    res = net.rpc(0).call("block", height=w["tokens"]["redeem_height"])
    txs = [base64.b64decode(x) for x in res["block"]["data"]["txs"]]
    redeem = [tx for tx in txs if w["tokens"]["spent"][0] in tx]
    assert len(redeem) == 1
    device20 = gov.address_bytes(w["device"]["address"])
    assert device20 not in redeem[0] and w["device"]["address"].encode() not in redeem[0]
    seen = w["issuer"].seen
    assert seen and all(s["device"] == device20 for s in seen)
    for s in seen:
        for b in s["blinded"]:
            assert b[:32] not in redeem[0] and b[-32:] not in redeem[0]


def test_a_token_under_a_replaced_issuer_key_is_refused(world):
    w = world
    net = w["net"]
    new = blind_rsa.SecretKey.generate(2048)
    # every account with stake votes yes; their clients are made before the proposal, so the
    # votes land well within the short voting period even on a loaded machine
    voters = [_signer(net, n) for n in ("owner", "alice", "bob")] + [
        _signer(net, n["name"], n["home"]) for n in net.nodes if n["validator"]]
    proposer, proposer_addr = voters[0]
    proposer.gas_limit = 10 ** 6
    first = gov.GovReader.of_rpc(net.rpc(0), _header(net)).next_id()
    proposer.send([[gov.msg_submit_proposal(
        proposer_addr, [("stake", DEPOSIT)], "Replace the usage issuer key", "key rotation",
        "", messages=[U.msg_set_issuer_key(releases.gov_authority(), new.public)]),
        gov.msg_vote(first, proposer_addr, "yes")]])
    for tx in [c.submit([gov.msg_vote(first, a, "yes")]) for c, a in voters[1:]]:
        txclient.wait_included(net.rpc(0), tx)
    deadline = time.monotonic() + VOTING_PERIOD_S + 60
    while U.issuer_key(net.rpc(0), _header(net)).key_id() != new.public.key_id():
        assert time.monotonic() < deadline, "the proposal did not replace the key"
        net.wait_for_height(_header(net).height + 1)
    # the token the old key signed, never spent, is refused with the module's code
    assert _rejected(w, [w["tokens"]["kept"]]) == ("usage", "issuer_key_replaced")
    # the issuer takes the new key; the device (reading the key from state) is served again
    w["svc"].issuer = w["issuer"] = Issuer(new, net.info["chain_id"], N, USAGE_EPOCH_S,
                                           keep_seen=True)
    pk, _epoch, toks = _device_tokens(w, {WEATHER: 1})
    assert pk.key_id() == new.public.key_id()
    _redeem(w, toks)


def _cli(capsys, w, d, *args, exit=0):
    """`mycroft-lc usage ARGS --json` in this process, with a light client of net7 whose state
    directory (and so the use counter) is d."""
    cfg = str(d / "config.json")
    client_config(w["net"], d / "state", w["net"].nodes[0]["rpc"],
                  [w["net"].nodes[1]["rpc"]]).save(cfg)
    capsys.readouterr()
    assert cli.main(["usage"] + list(args) + ["--config", cfg, "--json"]) == exit, \
        capsys.readouterr()
    return json.loads(capsys.readouterr().out)


def test_the_cli_counts_gets_tokens_through_the_chip_and_a_relay_redeems(world, capsys,
                                                                       tmp_path):
    w = world
    st = _cli(capsys, w, tmp_path, "status")
    assert st["issuer_key_id"] == w["issuer"].key_id.hex()
    c = _cli(capsys, w, tmp_path, "count", JOKES)
    assert c["uses"] == 1
    out = tmp_path / "tokens.json"
    t = _cli(capsys, w, tmp_path, "tokens", "--mcu", w["device"]["port"], "--issuer",
             w["svc"].url, "--epoch", str(c["epoch"]), "--out", str(out))
    assert t["tokens"] == 1
    assert _cli(capsys, w, tmp_path, "status")["counts"] == {}    # the use became a token
    key = tmp_path / "relay.hex"
    key.write_text(devicetx.key_secret(w["net"].info, "bob").hex())
    r = _cli(capsys, w, tmp_path, "redeem", str(out), "--key", str(key))
    assert (r["tokens"], r["spent_proven"]) == (1, 1)
    tally = _cli(capsys, w, tmp_path, "tally", JOKES, str(c["epoch"]))
    assert tally["tokens"] >= 1 and tally["creator"] == w["creator"]
    # the same file again: refused by x/usage, named after its code
    rc = cli.main(["usage", "redeem", str(out), "--key", str(key), "--config",
                  str(tmp_path / "config.json"), "--json"])
    assert rc != 0
    assert "double_spend" in capsys.readouterr().err


def test_the_skill_creator_is_paid_in_proportion_after_the_epoch(world):
    w = world
    net = w["net"]
    epoch = w["tokens"]["epoch"]
    deadline = time.monotonic() + 4 * USAGE_EPOCH_S + 30
    while U.epoch_of(_header(net).time_ns // 10 ** 9, USAGE_EPOCH_S) < epoch + 2:
        assert time.monotonic() < deadline
        net.wait_for_height(_header(net).height + 1)
    header = _header(net)
    rpc = net.rpc(0)
    creator20 = gov.address_bytes(w["creator"])
    before = channels.balance(rpc, header, creator20, "stake")
    weather, _ = U.skill_tally(rpc, header, epoch, WEATHER)
    jokes, _ = U.skill_tally(rpc, header, epoch, JOKES)
    assert (weather, jokes) == (1, 1)
    reward = U.params(rpc, header)["reward"][1]
    _r, h = w["relay"].send([[U.msg_claim_reward(w["relay_addr"], WEATHER, epoch),
                              U.msg_claim_reward(w["relay_addr"], JOKES, epoch)]])[0]
    net.wait_for_height(h + 1)
    header = _header(net)
    after = channels.balance(rpc, header, creator20, "stake")
    assert after - before == reward * weather // 2 + reward * jokes // 2
    assert U.skill_tally(rpc, header, epoch, WEATHER) == (1, True)
    with pytest.raises(txclient.TxRejected) as e:
        w["relay"].send([[U.msg_claim_reward(w["relay_addr"], WEATHER, epoch)]])
    assert U.error_name(e.value.details.get("code")) == "already_paid"
