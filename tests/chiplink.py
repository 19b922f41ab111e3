"""The chip's firmware in this process behind an McuClient: a serial port whose other end is
the firmware itself (boot.build's Firmware.feed). Cheaper than an emulated board."""


class Wire:
    def __init__(self, fw):
        self.fw = fw
        self.out = b""
        self.in_waiting = 0

    def write(self, data):
        self.out += self.fw.feed(bytes(data))

    def read(self, n):
        out, self.out = self.out[:n], self.out[n:]
        return out
