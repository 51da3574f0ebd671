"""Regenerate the initial migration from the models (`make migration`).

Until the first release the schema has one revision, 0001_initial, generated from the models so
that parallel work on different domains never produces competing Alembic heads. After the first
release this script must go and every change becomes a new revision.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from relaybird.db.migrate import MIGRATIONS, alembic_config


def main() -> None:
    target = MIGRATIONS / "versions" / "0001_initial.py"
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'empty.db'}"
        command.revision(
            alembic_config(url),
            message="initial",
            autogenerate=True,
            rev_id="0001",
        )
    generated = next((MIGRATIONS / "versions").glob("0001_*.py"))
    if generated != target:
        generated.rename(target)
    import subprocess
    import sys

    ruff = Path(sys.executable).parent / "ruff"
    subprocess.run([str(ruff), "check", "--fix", "--quiet", str(target)], check=False)
    subprocess.run([str(ruff), "format", "--quiet", str(target)], check=False)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
