#!/usr/bin/env bash
# Independent cross-check of crampstat's statistics against a second
# implementation in Python (tests/crosscheck.py, scipy + statsmodels).
# Needs Debian's /usr/bin/python3 with python3-scipy and python3-statsmodels
# (pipelines/install-deps.sh --test installs them); without them the test
# is skipped (exit 77, ctest's SKIP_RETURN_CODE) and says what is missing.
set -euo pipefail

: "${CRAMPSTAT:?CRAMPSTAT must name the crampstat binary}"
CS_SRC=${CS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export CRAMPSTAT CS_SRC

PY=/usr/bin/python3
if [[ ! -x $PY ]]; then
    echo "SKIP: crosscheck: $PY not found (Debian: python3 python3-scipy python3-statsmodels)"
    exit 77
fi
if ! missing=$("$PY" - <<'PYEOF' 2>&1
import importlib, sys
gone = []
for mod, pkg in (("numpy", "python3-numpy"), ("scipy", "python3-scipy"),
                 ("statsmodels", "python3-statsmodels")):
    try:
        importlib.import_module(mod)
    except Exception as e:
        gone.append("%s (%s: %s)" % (pkg, type(e).__name__, e))
if gone:
    print("; ".join(gone))
    sys.exit(1)
PYEOF
); then
    echo "SKIP: crosscheck: $PY cannot import what the cross-check needs: $missing"
    exit 77
fi

exec "$PY" "$CS_SRC/tests/crosscheck.py"
