# Micropayments on the chip: the voucher format, the owner's caps, the spend decision (pure).
