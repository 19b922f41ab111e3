# The light-client firmware's application, independent of where bytes come from: main.py feeds
# it from a machine.UART, lightclient/hwtest/emulator.py from a pseudo-terminal. MicroPython and CPython.
