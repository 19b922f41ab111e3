"""The local Cosmos SDK chain (tools/chain/, binary `mycroftd`): genesis, node processes, and the
device transactions our tests send to it. docs/chain.md describes it."""
