"""The device's registration statement: the same bytes as the chain's Go code (the vector is
pinned in tools/chain/x/devices/types/statement_test.go), and never a protobuf message."""

import pytest

from lightclient.chip.core import proto
from lightclient.chip.core.errors import DecodeError
from lightclient.localchain import devicetx

OWNER = b"\x11" * 20
PUB = b"\x02" + b"\x22" * 32


def test_statement_matches_the_go_vector():
    want = ("006d7963726f66742f646576696365732f72656769737465722f7631" + "000f"
            + b"mycroft-local-1".hex() + "0014" + OWNER.hex() + PUB.hex())
    assert devicetx.registration_statement("mycroft-local-1", OWNER, PUB).hex() == want


def test_statement_never_parses_as_protobuf():
    st = devicetx.registration_statement("mycroft-local-1", OWNER, PUB)
    with pytest.raises(DecodeError):
        list(proto.iter_fields(st))
