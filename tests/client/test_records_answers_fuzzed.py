"""Regression test for what fuzzing the record answer check found (fuzz target `abci`): a code
or height that JSON reads as infinity (1e400) is a typed DecodeError, never an OverflowError."""
import json

import pytest

from lightclient import records
from lightclient.chip.core.errors import DecodeError


@pytest.mark.parametrize("field", ["code", "height"])
@pytest.mark.parametrize("num", ["1e400", "-1e400"])
def test_an_out_of_range_code_or_height_is_a_decode_error(field, num):
    resp = json.loads('{"%s": %s}' % (field, num))
    with pytest.raises(DecodeError) as e:
        records.verify_record_answer(resp, "kitchen", 10, b"\x00" * 32)
    assert e.value.check == "abci_shape"


def test_a_node_that_refuses_the_query_is_unavailable_not_a_liar():
    # An honest Cosmos SDK node answers code 18 for a proof at height <= 1 (and for pruned
    # heights): the next source is asked, and nobody is banned (the pool bans InvalidData only).
    from lightclient.chip.core.errors import InvalidData, Unavailable
    resp = {"code": 18, "height": "1", "codespace": "sdk",
            "log": "cannot query with proof when height <= 1; please provide a valid height"}
    with pytest.raises(records.QueryRefused) as e:
        records.verify_record_answer(resp, "kitchen", 1, b"\x00" * 32)
    assert e.value.check == "abci_code" and e.value.details["code"] == 18
    assert isinstance(e.value, Unavailable) and not isinstance(e.value, InvalidData)


def test_no_record_is_asked_of_a_cosmos_chain_below_its_first_provable_state():
    from lightclient.record_layouts import COSMOS_SDK

    class Header:
        height = records.SDK_FIRST_PROVABLE_STATE      # its state: one below the first provable

    class Raw:
        class light_block:
            class signed_header:
                header = Header

    class NoPool:
        def race(self, *a, **k):
            raise AssertionError("no source may be asked")

    with pytest.raises(records.NoVerifiedData) as e:
        records.fetch_record(NoPool(), "mycroft1xyz", Raw, 0, kind=COSMOS_SDK)
    assert e.value.check == "no_state_height"
