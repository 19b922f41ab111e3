"""The local CometBFT-0.38-RPC-compatible network (docs/devnet.md).

    from lightclient.devnet import Devnet
    with Devnet(directory) as net: ...

Modules: history (the deterministic chain), app (multistore state, transactions, proofs),
device_template (default record sections), rpc (CometBFT JSON shapes and the honest handlers),
producer and node (the processes), launcher (Devnet), cli (`devnet ...` subcommands).
"""

from lightclient.devnet.launcher import Devnet, DevnetError, load_info
from lightclient.devnet.history import History, Spec

__all__ = ["Devnet", "DevnetError", "load_info", "History", "Spec"]
