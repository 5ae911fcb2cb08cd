"""vmrunner's ``prettify.color``: the tags IncludeOS test scripts print
with. Plain text, as test output goes to logs as often as to terminals."""


def _tagged(tag: str, strip: bool = True):
    return staticmethod(lambda text: f"[ {tag} ] {text.rstrip() if strip else text}")


class color:
    WARNING = _tagged("WARNING")
    FAIL = _tagged("FAIL")
    SUCCESS = _tagged("SUCCESS", strip=False)
    PASS = _tagged("PASS", strip=False)
    OK = _tagged("OK", strip=False)
    INFO = staticmethod(lambda text: f"* {text}: ")
    SUBPROC = staticmethod(lambda text: f"> {text.rstrip()}")
    VM = staticmethod(lambda text: f"<vm> {text}")
    DATA = staticmethod(lambda text: text + "\n")
    HEADER = staticmethod(lambda text: "\n" + f" {text} ".center(80, "="))
    FAIL_INLINE = staticmethod(lambda: "[ FAIL ]")
    PASS_INLINE = staticmethod(lambda: "[ PASS ]")

    @staticmethod
    def EXIT_ERROR(tag: str, text: str) -> str:
        return f"[ {tag} ] {text.rstrip()}"
