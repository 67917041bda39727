"""The CLI imports kfp without its API client (sdk_internals.import_kfp_without_client): the
compile-time SDK is whole, the client is there when asked for, and its modules are not imported.

In a new interpreter, since the test process has imported kfp already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json, sys
import mlops_cli  # imports kfp as the CLI does
from kfp import compiler, dsl, local
import kfp
before = sorted(m for m in ("kfp.client", "kubernetes", "requests") if m in sys.modules)
decorators = all(hasattr(dsl, name) for name in ("component", "pipeline", "If", "ExitHandler"))
client = kfp.Client.__module__
print(json.dumps({"before": before, "decorators": decorators, "client": client, "components": kfp.components.__name__}))
"""


def test_the_cli_imports_kfp_without_its_client_until_asked() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(os.path.abspath(path) for path in sys.path)}
    env.pop("_KFP_RUNTIME", None)
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    found = json.loads(done.stdout)
    assert found == {"before": [], "decorators": True, "client": "kfp.client.client", "components": "kfp.components"}
