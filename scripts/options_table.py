"""Write the options table of README.md from the options models (datamodel/options.py):
`python scripts/options_table.py` rewrites it in place; `--check` fails when it is stale."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from glossapi_dagster.datamodel.docs import BEGIN, END, options_markdown  # noqa: E402

README = Path(__file__).resolve().parents[1] / "README.md"


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    fresh = text[:start] + options_markdown() + text[end:]
    if "--check" in argv:
        if fresh != text:
            print("README.md's options table is stale: run python scripts/options_table.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
