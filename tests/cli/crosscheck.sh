#!/usr/bin/env bash
# Independent cross-check of crampstat's statistics against a second
# implementation in Python (tests/crosscheck.py, scipy + statsmodels).
# Needs Debian's /usr/bin/python3 with python3-scipy and python3-statsmodels
# (CI installs them); without them this test fails, it does not skip.
set -euo pipefail

: "${CRAMPSTAT:?CRAMPSTAT must name the crampstat binary}"
CS_SRC=${CS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export CRAMPSTAT CS_SRC

PY=/usr/bin/python3
if [[ ! -x $PY ]]; then
    echo "crosscheck: $PY not found; install python3, python3-scipy and python3-statsmodels" >&2
    exit 1
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
    echo "crosscheck: FAILED: $PY cannot import what the cross-check needs: $missing" >&2
    echo "crosscheck: install them with: apt-get install python3-scipy python3-statsmodels" >&2
    exit 1
fi

exec "$PY" "$CS_SRC/tests/crosscheck.py"
