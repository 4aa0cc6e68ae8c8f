"""``python -m kettle demo`` (a short showcase) and ``python -m kettle devices`` (installed devices)."""
from __future__ import annotations

import sys

USAGE = "usage: python -m kettle {demo,devices}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in ("demo", "devices"):
        print(USAGE, file=sys.stderr)
        return 2
    from kettle import showcase

    return showcase.demo() if argv[0] == "demo" else showcase.list_devices()


if __name__ == "__main__":
    sys.exit(main())
