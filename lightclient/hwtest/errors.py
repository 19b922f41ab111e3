"""One error type for the tester tools: every failure names what failed (`check`), says it in
words a tester can act on (`message`), and where it helps, what to do next (`hint`)."""


class HwTestError(Exception):
    def __init__(self, check, message, hint=None, **details):
        super().__init__(check, message)
        self.check = check
        self.message = message
        self.hint = hint
        self.details = details

    def __str__(self):
        s = "%s: %s" % (self.check, self.message)
        if self.hint:
            s += "\n  hint: " + self.hint
        return s

    def to_dict(self):
        d = {"check": self.check, "message": self.message}
        if self.hint:
            d["hint"] = self.hint
        d.update({k: (v.hex() if isinstance(v, (bytes, bytearray)) else v)
                  for k, v in self.details.items()})
        return d
