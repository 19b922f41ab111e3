"""lightclient.gov's messages in SIGN_MODE_DIRECT transactions against @cosmjs/proto-signing with
cosmjs-types' gov v1 and authz types, byte for byte (TxBody with a timeout height, AuthInfo with
a fee granter, SignDoc, TxRaw); the chip's sign policy reads each back to the summary it shows.
The recorded answers are docs/vectors/gov-tx.json."""

import json
from pathlib import Path

import pytest

from lightclient import gov
from lightclient.chip import cosmos_tx as ct
from lightclient.chip.crypto import pure
from tests.cosmostx import gov_cases
from tests.cosmostx.oracle import cosmjs

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "vectors" / "gov-tx.json"
SIGN = lambda secret: lambda doc: pure.secp256k1_sign(secret, doc)  # noqa: E731


@pytest.fixture(scope="module")
def theirs():
    return cosmjs(gov_cases.oracle_cases())


def test_every_gov_case_is_byte_equal_to_cosmjs(theirs):
    for i, want in enumerate(theirs):
        raw, doc = gov_cases.ours(i, SIGN)
        name = gov_cases.CASES[i][0]
        assert doc.hex() == want["sign_doc"], name
        assert raw.hex() == want["tx_raw"], name


def test_the_recorded_gov_vectors_still_hold(theirs):
    recorded = json.loads(VECTORS.read_text())["cases"]
    assert [v["tx_raw"] for v in recorded] == [t["tx_raw"] for t in theirs]


def test_decoded_back_the_vote_reads_as_cast():
    _u, v = gov.msg_vote(7, gov_cases.DEVICE, "abstain")
    from lightclient.chip import sign_policy
    assert sign_policy.decode_vote(v) == (7, gov_cases.DEVICE, 2)
    with pytest.raises(Exception):
        gov.msg_vote(0, gov_cases.DEVICE, "yes")
    with pytest.raises(Exception):
        gov.msg_vote(1, gov_cases.DEVICE, "maybe")
    assert gov.vote_key(1, b"\x01" * 20) == b"\x20" + (1).to_bytes(8, "big") + b"\x14" + b"\x01" * 20
    assert gov.proposal_key(258) == b"\x00" + (258).to_bytes(8, "big")
    assert ct.MSG_SEND != gov.MSG_VOTE


def test_addresses_and_stored_values_are_read_strictly():
    from lightclient.chip.core.errors import DecodeError
    a = ct.bech32_address_of(bytes(range(20)))
    assert gov.address_bytes(a) == bytes(range(20))
    for bad in (gov_cases.OWNER, "cosmos1" + a[8:], a[:-1], "x"):   # OWNER's checksum is wrong
        with pytest.raises(DecodeError):
            gov.address_bytes(bad)
    for bad in (b"", b"\x22\x05\x0a\x031x2", b"\x5a\x02\xff\xfe", b"\x0a" * 20000):
        with pytest.raises(DecodeError):
            gov.decode_proposal(bad)
    with pytest.raises(DecodeError):
        gov.decode_vote(b"\x12\x02\xff\xfe")
    v = gov.decode_vote(b"\x08\x07\x12\x01a\x22\x07\x08\x01\x12\x031.0")
    assert v == {"proposal_id": 7, "voter": "a", "options": [("YES", "1.0")]}
