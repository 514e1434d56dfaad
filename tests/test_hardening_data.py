"""Hardening (issue 18, items 1-11): nothing lost, nothing written, read, moved or deleted outside the output
folder, no way out of the template sandbox. Each test reproduces one attack from the issue."""
import csv
import hashlib
import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from secor_docs.cli import main
from secor_docs.pipeline import BuildOptions, run_build

from conftest import AS_OF, EXAMPLE, mutate

SLUG = "prairie-peak-roofing-ltd"


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def build(profile: Path, out: Path, as_of: str = AS_OF, **kw):
    [result] = run_build(BuildOptions(profiles=(profile,), out=out, as_of=date.fromisoformat(as_of), pdf=kw.pop("pdf", False), **kw))
    return result


def tree(folder: Path) -> dict[str, str]:
    """Every file (and link) below `folder` with a digest of its bytes: what 'nothing touched' compares."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            path = Path(root) / name
            rel = path.relative_to(folder).as_posix()
            found[rel] = "link:" + os.readlink(path) if path.is_symlink() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture(scope="module")
def built_once(tmp_path_factory):
    """One Word-only build of the example, copied fresh for each test that needs a previous build."""
    base = tmp_path_factory.mktemp("built-once")
    profile = base / "profile.yaml"
    profile.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert build(profile, base / "out").ok
    return base


@pytest.fixture
def previous(tmp_path, built_once):
    shutil.copytree(built_once, tmp_path / "w", symlinks=True)
    base = tmp_path / "w"
    return base / "profile.yaml", base / "out", base / "out" / SLUG


def edit_manifest(folder: Path, change) -> None:
    path = folder / "manifest.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


# 1. Paths read from a manifest are confined to the output folder -------------------------------------------------

@pytest.mark.parametrize("field,value", [
    ("docx", "ABSOLUTE"),
    ("docx", "../../victim.txt"),
    ("pdf", "documents/../../../victim.txt"),
    ("calendar", "ABSOLUTE"),
    ("calendar", "../../victim.txt"),
    ("changes", "evidence/README.md"),
])
@pytest.mark.parametrize("force", [False, True])
def test_manifest_paths_outside_the_build_are_a_damaged_manifest(previous, field, value, force):
    profile, out, folder = previous
    victim = folder.parent.parent / "victim.txt"
    victim.write_text("not yours")
    value = str(victim) if value == "ABSOLUTE" else value

    def plant(data):
        if field in ("docx", "pdf"):
            data["documents"][0][field] = value
            data["documents"][0]["sha256" if field == "docx" else "pdf_sha256"] = "0" * 64
        else:
            data[field] = value
    edit_manifest(folder, plant)
    before = tree(folder)
    result = run("build", profile, "--out", out, "--as-of", "2026-03-01", "--no-pdf", *(["--force"] if force else []))
    assert victim.read_text() == "not yours"
    if force:  # a forced rebuild backs up the folder's own files and starts again; nothing outside is copied
        assert result.exit_code == 0, result.output
        backups = list((folder / "edited-backup").rglob("*"))
        assert backups and not any(p.name == "victim.txt" for p in backups)
        assert "damaged manifest" in result.output
    else:
        assert result.exit_code == 6, result.output
        assert "damaged manifest" in result.output and "Traceback" not in result.output
        assert tree(folder) == before


# 6. An unreadable manifest is never taken for a first build -----------------------------------------------------

@pytest.mark.parametrize("damage", ["truncated", "empty", "schema 2", "not an object", "documents not a list"])
def test_unreadable_manifest_stops_the_build_and_force_backs_up(previous, damage):
    profile, out, folder = previous
    manifest = folder / "manifest.json"
    text = manifest.read_text()
    manifest.write_text({"truncated": text[: len(text) // 2], "empty": "", "schema 2": text.replace('"schema_version": 1', '"schema_version": 2'),
                         "not an object": "[1, 2]", "documents not a list": json.dumps({**json.loads(text), "documents": {"a": 1}})}[damage])
    edited = next((folder / "documents").glob("*.docx"))
    edited.write_bytes(edited.read_bytes() + b"hand edit")
    before = tree(folder)
    result = run("build", profile, "--out", out, "--as-of", "2026-03-01", "--no-pdf")
    assert result.exit_code == 6, result.output
    assert "damaged manifest" in result.output and "--force" in result.output and "Traceback" not in result.output
    assert tree(folder) == before
    result = run("build", profile, "--out", out, "--as-of", "2026-03-01", "--no-pdf", "--force")
    assert result.exit_code == 0, result.output
    [backup] = (folder / "edited-backup").iterdir()
    assert (backup / "documents" / edited.name).read_bytes().endswith(b"hand edit")
    assert json.loads(manifest.read_text())["schema_version"] == 1


# 7. A user's own file under a name the build makes is kept ------------------------------------------------------

def test_users_own_files_with_build_names_are_kept_on_a_first_build(tmp_path):
    profile = tmp_path / "profile.yaml"
    profile.write_text(EXAMPLE.read_text())
    folder = tmp_path / "out" / SLUG
    folder.mkdir(parents=True)
    (folder / "CHANGES.md").write_text("my own change log")
    (folder / "evidence-index.csv").write_text("my,own,index")
    (folder / "binder.docx").write_bytes(b"my own binder")
    assert build(profile, tmp_path / "out").ok
    assert (folder / "CHANGES (kept).md").read_text() == "my own change log"
    assert (folder / "evidence-index (kept).csv").read_text() == "my,own,index"
    assert (folder / "binder.docx").read_bytes() == b"my own binder"  # a Word-only build makes no binder
    assert "First build" in (folder / "CHANGES.md").read_text()


def test_users_binder_pdf_after_a_word_only_build_is_kept(previous):
    """After a --no-pdf build binder.pdf is not the build's: the next build keeps the user's copy."""
    profile, out, folder = previous
    (folder / "binder.pdf").write_bytes(b"%PDF-1.4 the user's own binder")
    (folder / "documents" / "my notes.pdf").write_bytes(b"%PDF-1.4 notes")
    profile.write_text(mutate(profile.read_text(), "Sam Ortiz", "Sam Ortez"))
    assert build(profile, out).ok
    assert (folder / "binder.pdf").read_bytes() == b"%PDF-1.4 the user's own binder"
    assert (folder / "documents" / "my notes.pdf").read_bytes() == b"%PDF-1.4 notes"


# 11. Text that looks like a spreadsheet formula stays text ------------------------------------------------------

def test_formula_looking_names_are_neutralised_in_csv_files(tmp_path):
    text = EXAMPLE.read_text()
    text = mutate(text, 'legal_name: "Prairie Peak Roofing Ltd."', 'legal_name: "=HYPERLINK(\\"http://x.example\\",\\"Prairie\\") Ltd."')
    text = mutate(text, 'title: "Owner / Estimator"', 'title: "+SUM(1;2) Owner"')
    text = mutate(text, 'title: "Lead Roofer / Supervisor"', 'title: "@cmd Lead"')
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "a.yaml").write_text(text)
    (profiles / "b.yaml").write_text(mutate(EXAMPLE.read_text(), 'legal_name: "Prairie Peak Roofing Ltd."', 'legal_name: "-Minus Roofing"'))
    out = tmp_path / "out"
    results = run_build(BuildOptions(profiles=(profiles,), out=out, as_of=date.fromisoformat(AS_OF), pdf=False))
    assert all(r.ok for r in results), [r.error for r in results]
    cells = []
    for path in [out / "portfolio.csv", *out.glob("*/evidence-index.csv")]:
        with path.open(newline="") as f:
            cells += [c for row in csv.reader(f) for c in row]
    assert any(c.startswith("'=HYPERLINK") for c in cells) and any(c.startswith("'-Minus") for c in cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]


# 2. The logo is something a template can print, nothing more ----------------------------------------------------

def _png(path: Path) -> None:
    import struct
    import zlib
    raw = b"".join(b"\x00" + b"\x1f\x4e\x79" * 8 for _ in range(8))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _override(folder: Path, body: str) -> Path:
    from secor_docs.authoring import Compiler
    target = folder / "policies" / "health-safety-policy.docx"
    target.parent.mkdir(parents=True)
    Compiler(body, "override").compile().save(str(target))
    return folder


@pytest.mark.parametrize("payload", [
    "{{ logo.tpl.save('PWNED') }}",
    "{{ logo.tpl.replace_zipname('docProps/thumbnail.jpeg', 'SECRET') }}",
    "{{ logo.image_descriptor }}",
    "{{ logo|attr('tpl') }}",
    "{{ logo.__html__() }}",
])
def test_logo_gives_templates_no_library_object(tmp_path, payload):
    _png(tmp_path / "logo.png")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    pwned = tmp_path / "pwned.docx"
    profile = tmp_path / "p.yaml"
    profile.write_text(mutate(EXAMPLE.read_text(), "  senior_manager:", '  logo: "logo.png"\n  senior_manager:'))
    body = "# Hello\nLogo " + payload.replace("PWNED", str(pwned)).replace("SECRET", str(secret)) + "\n"
    overrides = _override(tmp_path / "overrides", body)
    out = tmp_path / "out"
    result = run("build", profile, "--no-pdf", "--out", out, "--templates", overrides, "--as-of", AS_OF)
    assert result.exit_code == 3, result.output
    assert "health-safety-policy.docx" in result.output and "Traceback" not in result.output
    assert not pwned.exists() and not (out / SLUG).exists()
    result = run("templates", "check", overrides, "--profile", profile, "--as-of", AS_OF)
    assert result.exit_code == 1, result.output
    assert "health-safety-policy.docx" in result.output
    assert not pwned.exists()


def test_logo_still_prints_as_an_image(tmp_path):
    _png(tmp_path / "logo.png")
    profile = tmp_path / "p.yaml"
    profile.write_text(mutate(EXAMPLE.read_text(), "  senior_manager:", '  logo: "logo.png"\n  senior_manager:'))
    overrides = _override(tmp_path / "overrides", "# Hello\nLogo {{ logo }} and {% if logo %}a logo{% endif %}\n")
    out = tmp_path / "out"
    result = run("build", profile, "--no-pdf", "--out", out, "--templates", overrides, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    import zipfile
    with zipfile.ZipFile(out / SLUG / "documents" / "POL-001 Health and Safety Policy.docx") as z:
        assert any(n.startswith("word/media/") for n in z.namelist())
        assert "a logo" in z.read("word/document.xml").decode()


# 3. A planted template cache file is never run ------------------------------------------------------------------

class _Payload:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("how", ["files of another user", "folder writable by others", "format of jinja's own cache"])
def test_planted_template_cache_files_are_not_run(tmp_path, monkeypatch, how):
    import marshal
    import pickle
    from jinja2.bccache import bc_magic
    cache = tmp_path / "cache"
    monkeypatch.setenv("SECOR_DOCS_CACHE", str(cache))
    from secor_docs.render import make_env
    make_env.cache_clear()
    profile = tmp_path / "p.yaml"
    profile.write_text(EXAMPLE.read_text())
    assert build(profile, tmp_path / "out1").ok
    files = list((cache / "jinja").glob("secor-*.cache"))
    assert files
    marker = tmp_path / "code-ran"
    evil = bc_magic + pickle.dumps(_Payload(str(marker)), 2) + marshal.dumps(compile(f"open({str(marker)!r}, 'w')", "x", "exec"))
    for f in files:
        f.write_bytes(evil)
        if how == "files of another user":
            os.chown(f, 65534, 65534)
    if how == "folder writable by others":
        (cache / "jinja").chmod(0o777)
    make_env.cache_clear()
    try:
        result = build(profile, tmp_path / "out2")
    finally:
        make_env.cache_clear()
    assert result.ok, result.error
    assert not marker.exists()


def test_template_cache_folder_is_private(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("SECOR_DOCS_CACHE", str(cache))
    from secor_docs.render import make_env
    make_env.cache_clear()
    try:
        make_env()
    finally:
        make_env.cache_clear()
    assert (cache / "jinja").stat().st_mode & 0o777 == 0o700


# 9. Nothing is written, moved or deleted through a symbolic link ------------------------------------------------

def test_templates_check_never_writes_its_scratch_file_in_the_folder(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = _override(tmp_path / "mine", "# Hello\nFine {{ company.legal_name }}\n")
    (folder / ".secor-check.docx").symlink_to(victim)
    result = run("templates", "check", folder, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious" and (folder / ".secor-check.docx").is_symlink()


def test_templates_export_refuses_links_in_the_folder(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = tmp_path / "mine"
    (folder / "policies").mkdir(parents=True)
    (folder / "policies" / "health-safety-policy.docx").symlink_to(victim)
    result = run("templates", "export", folder, "--force")
    assert result.exit_code == 8, result.output
    assert "symbolic link" in result.output and "Traceback" not in result.output
    assert victim.read_text() == "precious"
    other = tmp_path / "elsewhere"
    other.mkdir()
    (tmp_path / "mine2").mkdir()
    (tmp_path / "mine2" / "policies").symlink_to(other)
    result = run("templates", "export", tmp_path / "mine2", "--force")
    assert result.exit_code == 8, result.output
    assert not list(other.iterdir())


@pytest.mark.parametrize("dangling", [False, True])
def test_init_never_writes_through_a_link(tmp_path, dangling):
    victim = tmp_path / ("missing.txt" if dangling else "victim.txt")
    if not dangling:
        victim.write_text("precious")
    link = tmp_path / "company-profile.yaml"
    link.symlink_to(victim)
    result = run("init", link, "--no-input", *([] if dangling else ["--force"]))
    assert result.exit_code != 0 and "Traceback" not in result.output, result.output
    assert (not victim.exists()) if dangling else victim.read_text() == "precious"


def test_build_never_writes_through_planted_links(previous):
    profile, out, folder = previous
    outside = folder.parent.parent / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("precious")
    lock = out / f".{SLUG}.lock"
    lock.unlink(missing_ok=True)
    lock.symlink_to(outside / "created-by-lock")
    result = run("build", profile, "--out", out, "--as-of", "2026-03-01", "--no-pdf")
    assert result.exit_code == 8 and "symbolic link" in result.output, result.output
    assert not (outside / "created-by-lock").exists()
    lock.unlink()
    readme = folder / "evidence" / "README.md"
    readme.unlink()
    readme.symlink_to(victim)
    result = run("build", profile, "--out", out, "--as-of", "2026-03-01", "--no-pdf")
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "precious" and (folder / "evidence" / "README (updated).md").is_file()


def test_a_link_inside_documents_is_refused_and_never_read(previous):
    profile, out, folder = previous
    secret = folder.parent.parent / "secret.txt"
    secret.write_text("secret")
    (folder / ".binder-parts").mkdir()
    (folder / ".binder-parts" / "cover.pdf").symlink_to(secret)
    before = tree(folder)
    result = run("build", profile, "--out", out, "--as-of", "2026-03-01", "--no-pdf", "--force")
    assert result.exit_code == 8 and "cover.pdf: is a symbolic link" in result.output, result.output
    assert tree(folder) == before


def test_a_linked_documents_folder_is_refused_and_its_files_stay(previous):
    profile, out, folder = previous
    outside = folder.parent.parent / "outside-docs"
    shutil.move(folder / "documents", outside)
    (outside / "my own notes.txt").write_text("mine")
    (folder / "documents").symlink_to(outside)
    before = tree(outside)
    result = run("build", profile, "--out", out, "--as-of", "2026-03-01", "--no-pdf")
    assert result.exit_code == 8 and "symbolic link" in result.output, result.output
    assert tree(outside) == before and (folder / "documents").is_symlink()


# 5. One output folder per company; another company's folder is refused, never merged ---------------------------

def test_slugs_are_unique_ascii_and_keep_the_sample_names():
    from secor_docs.outputs import slugify
    assert slugify("Prairie Peak Roofing Ltd.") == "prairie-peak-roofing-ltd"
    assert slugify("Northern Shine Cleaning & Restoration Ltd.") == "northern-shine-cleaning-restoration-ltd"
    assert slugify("Café Müller Ltd.") == "cafe-muller-ltd"
    names = ["Ведро Строй ООО", "Ведро Строй ЗАО", "北京建筑", "上海建筑", "Ωmega Ltd", "!!!", "Σ"]
    slugs = [slugify(n) for n in names]
    assert len(set(slugs)) == len(slugs), slugs
    assert all(s and s != "company" and s.isascii() and s == s.lower() and " " not in s for s in slugs), slugs
    assert slugs[0].startswith("vedro-stroi-ooo-") or slugs[0].startswith("vedro-stroy-ooo-")
    assert slugify("Ведро Строй ООО") == slugs[0]  # stable


def _company(text: str, name: str, wcb: str) -> str:
    text = mutate(text, 'legal_name: "Prairie Peak Roofing Ltd."', f'legal_name: "{name}"')
    return mutate(text, 'wcb_account: "8123456"', f'wcb_account: "{wcb}"')


def test_another_company_never_takes_over_a_folder(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(_company(EXAMPLE.read_text(), "Acme Roofing Ltd.", "1111111"))
    b.write_text(_company(EXAMPLE.read_text(), "ACME roofing, Ltd", "2222222"))
    out = tmp_path / "out"
    assert run("build", a, "--out", out, "--as-of", AS_OF, "--no-pdf").exit_code == 0
    folder = out / "acme-roofing-ltd"
    assert json.loads((folder / "manifest.json").read_text())["wcb_account"] == "1111111"
    before = tree(folder)
    result = run("build", b, "--out", out, "--as-of", AS_OF, "--no-pdf")
    assert result.exit_code == 1, result.output
    assert "holds the binder of 'Acme Roofing Ltd.'" in result.output and "Traceback" not in result.output
    assert tree(folder) == before
    result = run("build", b, "--out", out, "--as-of", AS_OF, "--no-pdf", "--force")
    assert result.exit_code == 1 and tree(folder) == before
    # the same company (same WCB account) with its name written differently is a rename, not a clash
    a.write_text(_company(EXAMPLE.read_text(), "ACME Roofing Ltd", "1111111"))
    assert run("build", a, "--out", out, "--as-of", AS_OF, "--no-pdf").exit_code == 0


def test_non_latin_names_get_their_own_folders(tmp_path):
    out = tmp_path / "out"
    for i, name in enumerate(["Ведро Строй ООО", "Ведро Строй ЗАО"]):
        p = tmp_path / f"{i}.yaml"
        p.write_text(_company(EXAMPLE.read_text(), name, f"{i + 1}000000"))
        assert run("build", p, "--out", out, "--as-of", AS_OF, "--no-pdf").exit_code == 0
    folders = sorted(f.name for f in out.iterdir() if f.is_dir() and not f.name.startswith("."))
    assert len(folders) == 2 and "company" not in folders, folders


# 4. A failed conversion never costs the previous build ----------------------------------------------------------

FAKE_SOFFICE = r'''#!/usr/bin/python3
import sys, os
args = sys.argv[1:]
out = args[args.index("--outdir") + 1]
docs = [a for a in args if a.endswith(".docx")]
mode = os.environ["FAKE_MODE"]
if mode == "fill disk":
    try:
        with open(os.path.join(out, "filler"), "wb") as f:
            while True:
                f.write(b"0" * 65536)
    except OSError:
        sys.exit(0)
pdf = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
for d in docs[1:] if mode == "one missing" else []:
    with open(os.path.join(out, os.path.basename(d)[:-5] + ".pdf"), "wb") as f:
        f.write(pdf)
'''


def _fake_soffice(tmp_path: Path, mode: str | None) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if mode is not None:
        (bin_dir / "soffice").write_text(FAKE_SOFFICE)
        (bin_dir / "soffice").chmod(0o755)
    return str(bin_dir) if mode is None else f"{bin_dir}:/usr/bin:/bin"


@pytest.mark.parametrize("mode", ["missing", "no pdf", "one missing"])
def test_failed_conversion_leaves_the_previous_build_as_it_was(previous, tmp_path, monkeypatch, mode):
    profile, out, folder = previous
    profile.write_text(mutate(profile.read_text(), "Sam Ortiz", "Sam Ortez"))
    monkeypatch.setenv("PATH", _fake_soffice(tmp_path, None if mode == "missing" else mode))
    monkeypatch.setenv("FAKE_MODE", mode)
    before = tree(folder)
    result = run("build", profile, "--out", out, "--as-of", AS_OF)
    assert result.exit_code == 4, result.output
    assert "previous build" in result.output and "unchanged" in result.output and "Traceback" not in result.output
    assert tree(folder) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".secor-")]


def test_full_disk_during_conversion_is_exit_8_and_keeps_the_build(tmp_path, monkeypatch):
    import subprocess
    out = tmp_path / "small"
    out.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(out)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        profile = tmp_path / "p.yaml"
        profile.write_text(EXAMPLE.read_text())
        assert build(profile, out).ok
        before = tree(out / SLUG)
        monkeypatch.setenv("PATH", _fake_soffice(tmp_path, "fill disk"))
        monkeypatch.setenv("FAKE_MODE", "fill disk")
        profile.write_text(mutate(profile.read_text(), "Sam Ortiz", "Sam Ortez"))
        result = run("build", profile, "--out", out, "--as-of", AS_OF)
        assert result.exit_code == 8, result.output
        assert "disk is full" in result.output and "Traceback" not in result.output
        assert tree(out / SLUG) == before
    finally:
        subprocess.run(["umount", "-l", str(out)])


# 10. Conversion never reaches the network -----------------------------------------------------------------------

LINKED_IMAGE = ('<w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
                '<wp:extent cx="914400" cy="914400"/><wp:docPr id="99" name="ext"/>'
                '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
                '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
                '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr>'
                '<pic:cNvPr id="99" name="ext.png"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:link="rIdExt99"/>'
                '<a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/>'
                '<a:ext cx="914400" cy="914400"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr>'
                '</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>')


def _link_image(docx: Path, url: str, marker: str = "LINKHERE") -> None:
    """Put a picture linked to `url` (not embedded) where the run with `marker` is, as Word's 'Insert > Link to file' does."""
    import re
    import zipfile
    with zipfile.ZipFile(docx) as z:
        items = {n: z.read(n) for n in z.namelist()}
    doc = items["word/document.xml"].decode()
    doc, n = re.subn(rf"<w:r>(?:(?!<w:r>).)*?{marker}</w:t></w:r>", LINKED_IMAGE, doc, count=1, flags=re.S)
    assert n == 1
    items["word/document.xml"] = doc.encode()
    rels = items["word/_rels/document.xml.rels"].decode()
    items["word/_rels/document.xml.rels"] = rels.replace("</Relationships>", (
        '<Relationship Id="rIdExt99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" '
        f'Target="{url}" TargetMode="External"/></Relationships>')).encode()
    with zipfile.ZipFile(docx, "w", zipfile.ZIP_DEFLATED) as z:
        for name, blob in items.items():
            z.writestr(name, blob)


@pytest.fixture
def web_server():
    """A web server on 127.0.0.1 that records every request made to it."""
    import http.server
    import threading
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.command + " " + self.path)
            self.send_response(404)
            self.end_headers()
        do_HEAD = do_OPTIONS = do_PROPFIND = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()


def test_rendered_documents_carry_no_external_links(tmp_path, web_server):
    import zipfile
    url, requests = web_server
    overrides = _override(tmp_path / "mine", "# Hello\nPicture LINKHERE\nVisit [our site](https://example.com)\n")
    _link_image(overrides / "policies" / "health-safety-policy.docx", url + "/tracker.png")
    out = tmp_path / "out"
    result = run("build", EXAMPLE, "--no-pdf", "--out", out, "--templates", overrides, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out / SLUG / "documents" / "POL-001 Health and Safety Policy.docx") as z:
        rels = z.read("word/_rels/document.xml.rels").decode()
        body = z.read("word/document.xml").decode()
    assert url not in rels and "rIdExt99" not in body
    assert not requests


@pytest.mark.libreoffice
def test_libreoffice_fetches_nothing_while_converting(tmp_path, web_server):
    from docx import Document
    from secor_docs.convert import convert_to_pdf
    url, requests = web_server
    docx = tmp_path / "linked.docx"
    d = Document()
    d.add_paragraph("Before")
    d.add_paragraph("LINKHERE")
    d.save(str(docx))
    _link_image(docx, url + "/logo.png")
    [pdf] = convert_to_pdf([docx], tmp_path / "pdf").values()
    assert pdf.is_file() and not requests


# 8. A swap killed half way is finished by the next build --------------------------------------------------------

KILL_DURING_SWAP = r'''
import os, pathlib, signal, sys
from secor_docs import outputs
stop_at, count, armed = int(sys.argv[1]), [0], [False]
original_rename = pathlib.Path.rename
def rename(self, target):
    if armed[0]:
        count[0] += 1
        if count[0] == stop_at:
            os.kill(os.getpid(), signal.SIGKILL)
    return original_rename(self, target)
pathlib.Path.rename = rename
original_finish = outputs._finish_swap
def finish(*args, **kwargs):
    armed[0] = True
    return original_finish(*args, **kwargs)
outputs._finish_swap = finish
from secor_docs.cli import main
main(sys.argv[2:])
'''


@pytest.mark.parametrize("stop_at", [3, 4, 9, 11])
def test_sigkill_during_the_swap_is_recovered_by_the_next_build(previous, tmp_path, stop_at):
    import subprocess
    import sys
    profile, out, folder = previous
    (folder / "documents" / "my notes.txt").write_text("mine")
    profile.write_text(mutate(profile.read_text(), "Sam Ortiz", "Sam Ortez"))
    script = tmp_path / "kill.py"
    script.write_text(KILL_DURING_SWAP)
    args = ["build", str(profile), "--out", str(out), "--as-of", AS_OF, "--no-pdf"]
    killed = subprocess.run([sys.executable, str(script), str(stop_at), *args], capture_output=True, text=True,
                            env={**os.environ, "SECOR_DOCS_CACHE": ""})
    assert killed.returncode == -9, killed.stderr
    result = run(*args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "Sam Ortez" in json.dumps(manifest["profile_snapshot"])
    assert all((folder / d["docx"]).is_file() for d in manifest["documents"])
    assert (folder / "documents" / "my notes.txt").read_text() == "mine"
    assert not [p.name for p in out.iterdir() if p.name.startswith(".secor-") and not p.name.endswith(".lock")]
    assert run(*args, "--force").exit_code == 0 and not (folder / "edited-backup").exists()


# 4 and 7 with real PDFs: a failed conversion, a --no-pdf build and a user's binder.pdf --------------------------

@pytest.mark.libreoffice
def test_previous_pdfs_survive_failed_conversion_and_word_only_builds(tmp_path, monkeypatch):
    source = EXAMPLE.parent / "tiny-books.yaml"
    profile = tmp_path / "p.yaml"
    profile.write_text(source.read_text())
    out = tmp_path / "out"
    assert run("build", profile, "--out", out, "--as-of", AS_OF).exit_code == 0
    [folder] = [f for f in out.iterdir() if f.is_dir() and not f.name.startswith(".")]
    binder = (folder / "binder.pdf").read_bytes()
    pdfs = sorted(p.name for p in (folder / "documents").glob("*.pdf"))
    assert binder.startswith(b"%PDF") and pdfs
    # a later --as-of makes every later build a real rebuild; a conversion that fails leaves every PDF of the previous build
    path = os.environ["PATH"]
    monkeypatch.setenv("PATH", _fake_soffice(tmp_path, "no pdf"))
    monkeypatch.setenv("FAKE_MODE", "no pdf")
    before = tree(folder)
    result = run("build", profile, "--out", out, "--as-of", "2026-03-01")
    assert result.exit_code == 4 and "unchanged" in result.output, result.output
    assert tree(folder) == before
    monkeypatch.setenv("PATH", path)
    # a Word-only build sets the old PDFs aside, with a message, instead of deleting them
    result = run("build", profile, "--out", out, "--as-of", "2026-03-01", "--no-pdf")
    assert result.exit_code == 0, result.output
    assert "superseded-pdf" in result.output
    [kept] = (folder / "superseded-pdf").iterdir()
    assert (kept / "binder.pdf").read_bytes() == binder
    assert sorted(p.name for p in (kept / "documents").glob("*.pdf")) == pdfs
    assert not (folder / "binder.pdf").exists()
    # the user's own binder.pdf, put there after the Word-only build, is kept by the next full build
    (folder / "binder.pdf").write_bytes(b"%PDF-1.4 my own scan")
    result = run("build", profile, "--out", out, "--as-of", "2026-03-01")
    assert result.exit_code == 0, result.output
    assert (folder / "binder (kept).pdf").read_bytes() == b"%PDF-1.4 my own scan"
    assert (folder / "binder.pdf").read_bytes().startswith(b"%PDF") and (folder / "binder.pdf").stat().st_size > 1000
