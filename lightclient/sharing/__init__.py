# Data sharing on the owner's terms (issue 20, docs/grants.md): sealed, content-addressed blobs
# in an off-chain store, their index records and the grants on chain, the device's upload and the
# grantee's verified read.
