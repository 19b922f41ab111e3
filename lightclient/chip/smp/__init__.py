# SMP (Simple Management Protocol, mcumgr) over the mcumgr serial transport: the link between the
# Pi and the board's microcontroller. Wire format: docs/smp-link.md.
# Shared subset: the firmware (MicroPython) and the Pi (CPython) import the same code.
