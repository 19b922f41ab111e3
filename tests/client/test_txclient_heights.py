"""The account proof needs a header late enough for the SDK to prove state against: an early
one is refused before any query, with a typed error naming the check."""

import pytest

from lightclient import txclient


class _Header:
    def __init__(self, height):
        self.height = height
        self.app_hash = b"\0" * 32


class _NoRpc:
    def abci_query(self, *a, **k):
        raise AssertionError("no query may be sent for an unprovable height")


@pytest.mark.parametrize("height", [1, 2])
def test_a_header_before_the_first_provable_state_is_refused_without_a_query(height):
    with pytest.raises(txclient.TxRejected) as e:
        txclient.verified_account(_NoRpc(), _Header(height), b"\1" * 20)
    assert e.value.check == "account_unprovable"
    assert e.value.details["header_height"] == height
