"""The local CometBFT-0.38-RPC-compatible network (docs/devnet.md).

    from lightclient.devnet import Devnet
    with Devnet(directory) as net: ...

Modules: history (the deterministic chain), app (multistore state, transactions, proofs),
device_template (default record sections), rpc (CometBFT requests, JSON shapes, errors, HTTP
plumbing), chain_rpc (the honest methods), evidence (broadcast_evidence checked and kept),
faults + fault_params (the fault modes, one registry) and forks (the chains they serve),
producer and node (the processes), launcher (Devnet), cli (`devnet ...` subcommands).
"""

from lightclient.devnet.launcher import Devnet, DevnetError, load_info
from lightclient.devnet.history import History, Spec

__all__ = ["Devnet", "DevnetError", "load_info", "History", "Spec"]
