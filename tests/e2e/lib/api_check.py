# SPDX-License-Identifier: Apache-2.0
"""api_check.py OPENAPI SCHEMA_NAME < response.json
Validates a JSON response against one component schema of the OpenAPI document
(OpenAPI 3.1 schemas are JSON Schema 2020-12)."""
import json
import sys

import jsonschema

doc = json.load(open(sys.argv[1]))
schema = {"$ref": "#/components/schemas/" + sys.argv[2], "components": doc["components"]}
data = json.load(sys.stdin)
errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
for e in errors:
    print(f"{sys.argv[2]}: {'/'.join(map(str, e.path))}: {e.message}")
sys.exit(1 if errors else 0)
