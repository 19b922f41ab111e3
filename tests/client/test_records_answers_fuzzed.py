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
