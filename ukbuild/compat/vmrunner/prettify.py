"""vmrunner's ``prettify.color``: the tags IncludeOS test scripts print
with. Plain text, as test output goes to logs as often as to terminals."""


class color:
    @staticmethod
    def INFO(text: str) -> str:
        return f"* {text}: "

    @staticmethod
    def WARNING(text: str) -> str:
        return f"[ WARNING ] {text.rstrip()}"

    @staticmethod
    def FAIL(text: str) -> str:
        return f"[ FAIL ] {text.rstrip()}"

    @staticmethod
    def EXIT_ERROR(tag: str, text: str) -> str:
        return f"[ {tag} ] {text.rstrip()}"

    @staticmethod
    def SUCCESS(text: str) -> str:
        return f"[ SUCCESS ] {text}"

    @staticmethod
    def PASS(text: str) -> str:
        return f"[ PASS ] {text}"

    @staticmethod
    def OK(text: str) -> str:
        return f"[ OK ] {text}"

    @staticmethod
    def FAIL_INLINE() -> str:
        return "[ FAIL ]"

    @staticmethod
    def PASS_INLINE() -> str:
        return "[ PASS ]"

    @staticmethod
    def SUBPROC(text: str) -> str:
        return f"> {text.rstrip()}"

    @staticmethod
    def VM(text: str) -> str:
        return f"<vm> {text}"

    @staticmethod
    def DATA(text: str) -> str:
        return text + "\n"

    @staticmethod
    def HEADER(text: str) -> str:
        return "\n" + f" {text} ".center(80, "=")
