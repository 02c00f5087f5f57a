# SPDX-License-Identifier: Apache-2.0
"""certificate_schema.py --check|--write SCHEMA TOOL

The dns-01 provider part of config/certificate.schema.json ($defs/dns01_providers) is
generated from the providers' declared settings: TOOL (acmed_provider_schema, built
with the providers) prints it. --write puts it into SCHEMA; --check fails, with a
diff, when SCHEMA differs from what --write would produce. The whole file is kept in
one canonical layout (objects on one line when they fit), so hand edits elsewhere in
it survive --write.

  cmake --build build --target update_certificate_schema     # runs --write
"""
import difflib
import json
import subprocess
import sys

WIDTH = 120


def layout(value, indent=0):
    """JSON text: a value on one line when it fits, otherwise one member per line."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(flat) + indent <= WIDTH or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {layout(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + layout(v, indent + 2) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("--check", "--write"):
        sys.exit(__doc__)
    mode, schema_path, tool = sys.argv[1:]
    generated = json.loads(subprocess.run([tool], check=True, capture_output=True, text=True).stdout)
    with open(schema_path, encoding="utf-8") as f:
        current = f.read()
    schema = json.loads(current)
    schema.setdefault("$defs", {})["dns01_providers"] = generated
    wanted = layout(schema) + "\n"
    if mode == "--write":
        if wanted != current:
            with open(schema_path, "w", encoding="utf-8") as f:
                f.write(wanted)
        print(f"{schema_path}: {'rewritten' if wanted != current else 'up to date'}")
        return 0
    if wanted == current:
        print(f"{schema_path}: matches the providers' declared settings")
        return 0
    sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), wanted.splitlines(True), schema_path, "generated"))
    print(f"{schema_path} differs from the providers' declared settings; regenerate it with\n"
          "  cmake --build BUILD --target update_certificate_schema")
    return 1


if __name__ == "__main__":
    sys.exit(main())
