# SPDX-License-Identifier: Apache-2.0
"""check_schema.py SCHEMA FILE...: every FILE (YAML) validates against SCHEMA (JSON Schema).
Used to keep config/*.schema.json and the shipped examples in step."""
import json
import sys

import jsonschema
import yaml

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
failed = 0
for path in sys.argv[2:]:
    data = yaml.safe_load(open(path))
    # YAML dates (persist_until: 2027-06-01) are strings in acmed's reading.
    def fix(v):
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v.isoformat() if hasattr(v, "isoformat") else v
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(fix(data)))
    for e in errors:
        print(f"{path}: {'/'.join(map(str, e.path))}: {e.message}")
    failed += bool(errors)
print(f"{len(sys.argv) - 2} file(s) validated, {failed} failed")
sys.exit(1 if failed else 0)
