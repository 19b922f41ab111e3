"""`mycroft-lc chain fund ADDRESS AMOUNT --dir D`: the local chain's faucet. Genesis funds a
`faucet` account of the test keyring (D/client); this sends from it with bank MsgSend, built
and signed by our builder (lightclient.chip.cosmos_tx) and sent by txclient, so an owner key of
`owner init` (or any new account) can pay for its registrations. Local chains only: a chain
whose id is not the one `chain up` makes (genesis.CHAIN_ID), in network.json or on the node,
is refused before anything is signed."""

import re

from lightclient.chip import cosmos_tx as ct
from lightclient.chip.core.errors import DecodeError
from lightclient.localchain import binary, devicetx, genesis, network
from lightclient.record_layouts import address_of
from lightclient.rpc import SourceError

FAUCET = "faucet"
MAX_FUND = 10 ** 10            # per call: a hundredth of the faucet's genesis funds
_AMOUNT = re.compile(r"^([0-9]{1,19})([a-z][a-z0-9]{2,15})?$")


def parse_amount(text, denom=genesis.DENOM):
    """"5000" or "5000stake" -> 5000; another denom, zero or more than MAX_FUND is a
    ChainError("bad_amount")."""
    m = _AMOUNT.match(text or "")
    if not m or (m.group(2) or denom) != denom:
        raise binary.ChainError("bad_amount", "the amount is a whole number of %s" % denom,
                                got=str(text)[:40])
    n = int(m.group(1))
    if not 0 < n <= MAX_FUND:
        raise binary.ChainError("bad_amount", "the faucet gives 1 to %d%s at a time"
                                % (MAX_FUND, denom), got=n)
    return n


def fund(d, address, amount_text, node=0):
    """Sends the amount from the faucet to `address` on the running local chain of `d`; returns
    {"address", "amount", "denom", "height", "from"} once the block after it exists."""
    try:
        address_of(address)
    except DecodeError as e:
        raise binary.ChainError("bad_address", "not an account address of this chain",
                                got=str(address)[:80], reason=str(e))
    amount = parse_amount(amount_text)
    info = network.load(d)
    if info.get("chain_id") != genesis.CHAIN_ID:
        raise binary.ChainError("not_local_chain", "the faucet serves local chains only",
                                chain_id=str(info.get("chain_id"))[:60], local=genesis.CHAIN_ID)
    net = network.Network(d)
    try:
        served = net.rpc(node).status()["network"]
    except (SourceError, OSError) as e:
        raise binary.ChainError("chain_down", "no node of the local chain in %s answers" % d,
                                hint="mycroft-lc chain up --dir %s" % d, reason=str(e)[:120])
    if served != genesis.CHAIN_ID:       # the directory names a local chain; its node must too
        raise binary.ChainError("not_local_chain", "the node serves another chain",
                                chain_id=str(served)[:60], local=genesis.CHAIN_ID)
    try:
        source, pub = devicetx.key_info(info, FAUCET)
        secret = devicetx.key_secret(info, FAUCET)
    except binary.ChainError:
        raise binary.ChainError("no_faucet", "this chain's keyring has no faucet account "
                                "(a chain made before the faucet): build it again with "
                                "`chain up` in an empty directory", dir=d)
    sender = devicetx.tx_client(net, pub, ct.sign_secp256k1(secret), node)
    [(_r, height)] = sender.send([[ct.msg_send(source, address, [(genesis.DENOM, amount)])]])
    net.wait_for_height(height + 1, node=node)   # header height+1 commits it: provable from now
    return {"address": address, "amount": amount, "denom": genesis.DENOM, "height": height,
            "from": source}
