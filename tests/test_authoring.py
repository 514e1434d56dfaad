"""The shipped Word templates are exactly what their plain-text sources compile to."""
from pathlib import Path

from secor_docs.authoring import compile_tree
from secor_docs.determinism import docx_content_hash

ROOT = Path(__file__).resolve().parent.parent


def test_templates_are_up_to_date_with_their_sources(tmp_path):
    written = compile_tree(ROOT / "templates_src", tmp_path)
    assert len(written) >= 50
    stale = [p.relative_to(tmp_path).as_posix() for p in written
             if docx_content_hash(p) != docx_content_hash(ROOT / "templates" / p.relative_to(tmp_path))]
    assert not stale, f"run `make templates` and commit: {stale}"
    shipped = {p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*.docx")}
    assert shipped == {p.relative_to(tmp_path).as_posix() for p in written}
