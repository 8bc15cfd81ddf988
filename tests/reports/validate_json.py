#!/usr/bin/python3
"""Validates JSON documents against a JSON Schema (Debian's python3-jsonschema), in the draft
the schema declares (2020-12 for results, draft 4 for SARIF 2.1.0), formats checked.

Usage: validate_json.py SCHEMA FILE [--lines]
  --lines: FILE is JSON Lines (results.jsonl); every line is validated on its own.
Prints one line per error and exits 1 when any document is invalid, 2 on bad usage.
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    sys.exit("validate_json.py: python3-jsonschema is not installed (apt-get install python3-jsonschema)")


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as f:
        schema = json.load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=jsonschema.FormatChecker())
    with open(args[1], encoding="utf-8") as f:
        docs = [json.loads(line) for line in f if line.strip()] if "--lines" in sys.argv else [json.load(f)]
    errors = 0
    for n, doc in enumerate(docs, 1):
        for e in validator.iter_errors(doc):
            errors += 1
            where = "/".join(str(p) for p in e.absolute_path)
            print(f"{args[1]}: document {n}: at /{where}: {e.message[:300]}")
            if errors >= 20:
                return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
