#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every tracked source file (C++, CMake, shell, Python, the serve page) names its licence
# with an SPDX line near its top, and LICENSE holds the Apache-2.0 text debian/copyright names.
set -euo pipefail
cd "$(dirname "$0")/../.."
missing=0
while IFS= read -r f; do
  case "$f" in
    tests/fuzz/corpus/*|debian/*) continue ;;
    *.cpp|*.hpp|*.h|*.in|*.cmake|*/CMakeLists.txt|CMakeLists.txt|*.sh|*.py|*.js|*.css|*.html|.ci/run|completion/*) ;;
    *) continue ;;
  esac
  if ! head -n 5 "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0'; then
    echo "no SPDX line: $f"
    missing=$((missing + 1))
  fi
done < <(git ls-files)
grep -q 'Apache License' LICENSE || { echo "LICENSE is not the Apache-2.0 text"; missing=$((missing + 1)); }
grep -q '^License: Apache-2.0' debian/copyright || { echo "debian/copyright does not name Apache-2.0"; missing=$((missing + 1)); }
[ "$missing" -eq 0 ] && echo "spdx: every source file is tagged"
exit $(( missing > 0 ))
