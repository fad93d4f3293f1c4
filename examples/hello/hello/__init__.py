"""The example project's whole library."""


def greeting(name: str = "world") -> str:
    return f"hello, {name}"
