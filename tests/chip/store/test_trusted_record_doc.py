# docs/store-format.md, "The trusted state record": the vector in the text is what pack_trusted
# writes for the state the dual tests pin (tests/chip/core/test_trusted_packed.py).
import hashlib
import re
from pathlib import Path

from lightclient.chip.core import trusted_at_rest as tr
from lightclient.chip.core import valset
from lightclient.chip.core.verifier import TrustedState

from tests.chip.core.test_trusted_packed import V1, VECTOR_SHA256

DOC = Path(__file__).resolve().parents[3] / "docs" / "store-format.md"


def test_the_documented_vector_is_what_the_chip_writes():
    text = DOC.read_text()
    sec = text.split("### The trusted state record", 1)[1].split("### Version 1 stores", 1)[0]
    hexed = "".join(re.findall(r"^    ([0-9a-f]{2,64})$", sec, re.M))
    s = tr.decode_trusted(V1)
    packed = tr.pack_trusted(TrustedState(s.header, valset.ValidatorSet(s.next_validators.validators)))
    assert bytes.fromhex(hexed) == packed == tr.pack_trusted(s)
    assert hashlib.sha256(packed).hexdigest() == VECTOR_SHA256
    assert VECTOR_SHA256 in sec and ("%d bytes" % len(packed)) in sec
