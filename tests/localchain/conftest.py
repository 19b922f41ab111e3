import hashlib

import coincurve
import pytest

from lightclient import blind_rsa
from lightclient.localchain import binary, devicetx, faults, genesis, network
from tests.localchain import pairhelp
from tests.localchain.chainhelp import UNBONDING_S, USAGE_EPOCH_S, VOTING_PERIOD_S


# A running chain burns CPU even when no test uses it any more (each node ~7 % of a core at
# 300 ms blocks: net7's seven ~half a core), and a session fixture lives until its worker's
# session ends, minutes later. So a session chain stops right after the last test that uses it
# (tests/xdist_scheduling.py keeps all its users in one unit on one worker, in collection order);
# the fixture's own teardown then finds it stopped.
_STOP_AFTER = {}     # nodeid of a chain's last user -> [stop functions]


def _stop_after_its_last_user(request, net):
    users = [it for it in request.session.items
             if request.fixturename in getattr(it, "fixturenames", ())]
    if users:
        _STOP_AFTER.setdefault(users[-1].nodeid, []).append(net.stop)


@pytest.hookimpl(trylast=True)      # after pytest's own teardown of that test's fixtures
def pytest_runtest_teardown(item, nextitem):
    for stop in _STOP_AFTER.pop(item.nodeid, ()):
        stop()


def _running_chain(request, tmp_path_factory, name):
    """A running 4-validator chain (the real `mycroftd`; `make setup` builds it, and a missing
    binary fails here with ChainError mycroftd_missing: it never skips)."""
    binary.binary_path()
    d = str(tmp_path_factory.mktemp(name))
    genesis.build(d, validators=4, full_nodes=0, base_port=genesis.free_base_port(4))
    net = network.Network(d)
    net.start()
    _stop_after_its_last_user(request, net)
    try:
        net.wait_for_height(2, timeout=60)
        yield net
    finally:
        net.stop()


@pytest.fixture(scope="session")
def chain(request, tmp_path_factory):
    """One static 4-validator chain for the files of the SHARED_CHAIN4 group (tests/
    xdist_scheduling.py), started once: each file funds and registers its own keys and
    devices, and none changes the validator set."""
    yield from _running_chain(request, tmp_path_factory, "chain")


@pytest.fixture(scope="session")
def attacked_chain(request, tmp_path_factory):
    """One chain for the light-client attack (which jails two of its validators, so no module
    that expects a static validator set may use it) and the real clients that read it."""
    yield from _running_chain(request, tmp_path_factory, "attacked-chain")


@pytest.fixture(scope="session")
def net7(request, tmp_path_factory):
    """One chain for the fault and staking tests (started once per session): 4 validators and
    3 full nodes (which staking transactions turn into validators), unbonding time 2 days, a
    voting period of VOTING_PERIOD_S (tests/localchain/test_chain_gov.py), and a device registered by the owner's real transaction (net.device: its key, its height)."""
    binary.binary_path()
    d = str(tmp_path_factory.mktemp("net7"))
    # x/usage: short epochs and a first issuer key (test_chain_usage.py; net.usage_issuer)
    issuer = blind_rsa.SecretKey.generate(2048)
    genesis.build(d, validators=4, full_nodes=3, base_port=genesis.free_base_port(7),
                  unbonding_s=UNBONDING_S, voting_period_s=VOTING_PERIOD_S,
                  usage={"epoch_seconds": USAGE_EPOCH_S,
                         "issuer_modulus": issuer.public.modulus_bytes()})
    net = network.Network(d)
    net.start()
    _stop_after_its_last_user(request, net)
    try:
        net.wait_for_height(2, timeout=90)
        device = coincurve.PrivateKey(hashlib.sha256(b"localchain fault-test device").digest())
        # no settings in the record: settings are sealed envelopes only (x/devices PutSealed)
        height = devicetx.register_device(net, "owner", device.secret, b"")
        net.wait_for_height(height + 1)      # header height+1 commits the record's state
        net.device = device
        net.device_height = height
        net.usage_issuer = issuer
        yield net
    finally:
        net.stop()


@pytest.fixture(scope="module")
def relays(net7):
    """The relays `chain up` runs in front of net7's nodes (the sources of a device config made
    by `provision --chain`), for one test file."""
    sup = faults.Supervisor(net7)
    try:
        yield sup
    finally:
        sup.close()


@pytest.fixture(scope="session")
def sealed_device(net7, tmp_path_factory):
    """A device of net7 whose settings exist only sealed (pairhelp.sealed_device): an emulated
    board at 96 KiB registered by the owner's transaction, paired with an owner key by its
    label's code, its settings (pairhelp.SEALED_SETTINGS) sealed by that owner. Built once
    per session for the files of the net7 group (tests/xdist_scheduling.py)."""
    d = pairhelp.sealed_device(net7, tmp_path_factory.mktemp("sealed-device"),
                               pairhelp.SEALED_SETTINGS)
    try:
        yield d
    finally:
        d["board"].stop()
