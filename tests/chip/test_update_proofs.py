# State proofs in the compact update (key 2) and the trusted state at rest, CPython: a synthetic
# chain whose app_hash is a multistore root over device records; the receiver gets the verified
# records back from apply_update_full, and any change to a proof, a value or the app hash fails.
import pytest

from lightclient.scenarionet import ics23_build
from lightclient import native
from lightclient.chip import txs
from lightclient.chip.core import update
from lightclient.chip.core import ics23_types
from lightclient.chip.core import trusted_at_rest
from lightclient.chip.core import update_encode
from lightclient.chip.core.errors import LightClientError, ProofError
from lightclient.chip.core.verifier import Options, TrustedState
from lightclient.scenarionet.chain import Chain, make_validators

DAY = 86400 * 10**9
RECORD = txs.canonical_json({"uuid": "kitchen", "device_pubkey": "00" * 32,
                             "owner_pubkey": "11" * 32, "account": "alice", "version": 1,
                             "device": {}, "setting": {"lang": "en-us"}, "location": {},
                             "skills": [], "subscription": {}})
DEVICES = ics23_build.IavlTree({txs.record_key("kitchen"): RECORD}, version=3)
STORES = ics23_build.multistore({"bank": ics23_build.IavlTree({b"b": b"1"}, 3).root,
                                 "devices": DEVICES.root})


@pytest.fixture(scope="module")
def chain():
    c = Chain("proofs-chain", make_validators(7), 1_700_000_000 * 10**9)
    c.run(3, app_hash=lambda h: STORES.root if h == 4 else b"\x01" * 32)
    c.run(1, app_hash=lambda h: STORES.root)
    return c


def _ops(key):
    return ics23_build.abci_proof_ops(DEVICES, STORES, "devices", key)


def _apply(chain, proofs, now_offset=DAY):
    trusted = TrustedState(chain.blocks[1].signed_header.header, chain.blocks[1].next_validators)
    data = update_encode.encode_update([chain.blocks[4]], trusted, proofs=proofs)
    return update.apply_update_full(trusted, data, Options(14 * DAY),
                                    chain.time_at(4) + now_offset, native.verify)


def test_present_and_absent_records_come_back_verified(chain):
    key = txs.record_key("kitchen")
    absent = txs.record_key("garage")
    state, proven = _apply(chain, [("devices", key, RECORD, _ops(key)),
                                   ("devices", absent, None, _ops(absent))])
    assert state.header.height == 4
    assert proven == [("devices", key, RECORD), ("devices", absent, None)]
    assert txs.decode_record(proven[0][2])["setting"] == {"lang": "en-us"}


def test_forged_value_or_absence_is_rejected(chain):
    key = txs.record_key("kitchen")
    forged = RECORD.replace(b"en-us", b"xx-xx")
    # The value travels inside the existence proof: a forged value there fails the proof chain.
    ops = _ops(key)
    p = ics23_types.decode_commitment_proof(ops[0][2])
    p.value = forged
    forged_ops = [(ops[0][0], ops[0][1], ics23_types.encode_commitment_proof(p))] + ops[1:]
    with pytest.raises(ProofError) as e:
        _apply(chain, [("devices", key, forged, forged_ops)])
    assert e.value.details["field"] == "update.proofs[0]"
    # The encoder refuses to announce a value the proof does not carry.
    with pytest.raises(LightClientError) as e:
        _apply(chain, [("devices", key, forged, ops)])
    assert e.value.check == "update_encode"
    with pytest.raises(LightClientError):  # claiming absence with the existence proof
        _apply(chain, [("devices", key, None, _ops(key))])
    absent = txs.record_key("garage")
    with pytest.raises(LightClientError):  # claiming presence with a non-existence proof
        _apply(chain, [("devices", absent, RECORD, _ops(absent))])
    with pytest.raises(LightClientError):  # the proof for another store name
        _apply(chain, [("bank", key, RECORD, _ops(key))])


def test_proof_against_another_app_hash_fails(chain):
    # Block 3's app hash is not the multistore root: proofs must be checked against the last
    # step's header, so ending the update at block 3 fails.
    key = txs.record_key("kitchen")
    trusted = TrustedState(chain.blocks[1].signed_header.header, chain.blocks[1].next_validators)
    data = update_encode.encode_update([chain.blocks[3]], trusted,
                                proofs=[("devices", key, RECORD, _ops(key))])
    with pytest.raises(ProofError):
        update.apply_update_full(trusted, data, Options(14 * DAY), chain.time_at(3) + DAY,
                                 native.verify)


def test_trusted_state_of_a_chain_round_trips(chain):
    lb = chain.blocks[4]
    st = TrustedState(lb.signed_header.header, lb.next_validators, lb.validators)
    back = trusted_at_rest.decode_trusted(trusted_at_rest.encode_trusted(st), lb.signed_header.header.hash())
    assert back.validators.hash() == lb.validators.hash()
    assert back.header.hash() == lb.signed_header.header.hash()
