"""Developer tool: (re)generate one Alembic revision from the models, on a scratch PostgreSQL.

    .venv/bin/python tools/regen_migration.py 0002 "dual prevention"

Brings a fresh database up to the revision before ``rev_id``, deletes an existing file for
``rev_id`` (only do that for a revision that has not been released), autogenerates it again and
tidies the output (ruff). Use only for unreleased revisions.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import create_pg_database
from yingji.core.migrate import MIGRATIONS_DIR, make_revision, upgrade


def main(rev_id: str, message: str) -> None:
    url, drop = create_pg_database()
    try:
        for path in (MIGRATIONS_DIR / "versions").glob(f"*_{rev_id}.py"):
            path.unlink()
        upgrade(url, "head")
        make_revision(url, message=message, rev_id=rev_id)
    finally:
        drop()
    (new,) = (MIGRATIONS_DIR / "versions").glob(f"*_{rev_id}.py")
    text = new.read_text()
    text = text.replace("astext_type=Text()", "astext_type=sa.Text()")
    text = re.sub(r"^\s*# ###.*\n", "", text, flags=re.M)
    new.write_text(text)
    ruff = Path(sys.executable).parent / "ruff"
    subprocess.run([str(ruff), "check", "--fix", "-q", str(new)], check=False, capture_output=True)
    subprocess.run([str(ruff), "format", "-q", str(new)], check=True)
    print(new)  # noqa: T201 - a developer tool reports the file it wrote


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
