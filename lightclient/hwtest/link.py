"""A board on a serial port, for the tester tools: McuClient (lightclient/mcu.py) plus the
diagnosis a tester needs when the board does not answer: nothing at all on the line (wrong
port, board not running the firmware, TX/RX swapped) or bytes that are not SMP frames (wrong
baud rate, a MicroPython REPL or a boot log instead of the firmware)."""

from lightclient.mcu import McuClient, McuError, McuTimeout
from lightclient.hwtest.errors import HwTestError


class BoardLink:
    def __init__(self, port, baudrate=115200, timeout=2.0):
        self.port = port
        self.rx_bytes = 0
        self.rx_sample = bytearray()
        try:
            self.mcu = McuClient(port, baudrate=baudrate, timeout=timeout, trace=self._trace)
        except Exception as e:   # serial.SerialException and OSError
            text = str(e)
            if "No such file" in text or "could not open" in text and "Errno 2" in text:
                raise HwTestError("port_missing", "serial port %s does not exist" % port,
                                  hint="check the cable and the port name (ls /dev/tty*)")
            if "Permission denied" in text:
                raise HwTestError("port_permission", "no permission to open %s" % port,
                                  hint="sudo usermod -aG dialout $USER, then log out and in")
            raise HwTestError("port_open", "cannot open %s: %s" % (port, text))

    def _trace(self, direction, data):
        if direction == "rx":
            self.rx_bytes += len(data)
            if len(self.rx_sample) < 64:
                self.rx_sample += data[:64 - len(self.rx_sample)]

    def call(self, what, fn, *args, **kw):
        """fn(*args) through the link; a timeout becomes no_answer or garbage_on_line."""
        before = self.rx_bytes
        try:
            return fn(*args, **kw)
        except McuTimeout:
            got = self.rx_bytes - before
            if got == 0:
                raise HwTestError("no_answer", "%s: the board sent nothing on %s"
                                  % (what, self.port),
                                  hint="is it the right port, is the firmware running (not "
                                       "the bootloader), are TX/RX crossed?")
            raise HwTestError("garbage_on_line", "%s: %d bytes arrived on %s but no valid SMP "
                              "answer" % (what, got, self.port),
                              hint="wrong baud rate, or the board runs something else than the "
                                   "firmware (a REPL, a boot loop)",
                              sample=bytes(self.rx_sample[:32]))

    def close(self):
        self.mcu.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


__all__ = ["BoardLink", "McuError", "McuTimeout"]
