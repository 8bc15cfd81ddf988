#!/usr/bin/env python3
"""Checks that the files a Markdown document quotes are quoted as they are: a fenced block right after a
`<!-- file: <path> -->` line must equal that file (path relative to the repository root), so a tutorial
cannot drift from the code the tests build. usage: check_quoted_files.py <repository root> <doc.md>..."""
import difflib
import pathlib
import re
import sys

MARKER = re.compile(r"^<!-- file: (\S+) -->$")


def check(root: pathlib.Path, doc: pathlib.Path) -> int:
    lines = doc.read_text().splitlines(keepends=True)
    errors = 0
    quoted = 0
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i].rstrip("\n"))
        i += 1
        if not m:
            continue
        where = f"{doc}:{i}"
        if i >= len(lines) or not lines[i].startswith("```"):
            print(f"{where}: error: the marker for {m.group(1)} is not followed by a fenced code block")
            errors += 1
            continue
        end = i + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        if end == len(lines):
            print(f"{where}: error: the code block quoting {m.group(1)} is not closed")
            return errors + 1
        path = root / m.group(1)
        if not path.is_file():
            print(f"{where}: error: {m.group(1)} does not exist (renamed? update the marker)")
            errors += 1
        else:
            block = lines[i + 1:end]
            actual = path.read_text().splitlines(keepends=True)
            if block != actual:
                print(f"{where}: error: the block differs from {m.group(1)} (copy the file into the document):")
                sys.stdout.writelines(difflib.unified_diff(actual, block, m.group(1), f"{doc} block"))
                errors += 1
            quoted += 1
        i = end + 1
    if quoted == 0 and errors == 0:
        print(f"{doc}: error: no `<!-- file: ... -->` quote found")
        errors += 1
    return errors


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    root = pathlib.Path(sys.argv[1])
    errors = sum(check(root, pathlib.Path(d)) for d in sys.argv[2:])
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
