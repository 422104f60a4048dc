"""GX's Data Docs pages load local copies of their CDN assets, and render offline."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import great_expectations
import pytest

from dataset_health.docs.offline import ASSETS, VENDOR_FOLDER, external_assets, make_site_offline, offline_html

GX_TEMPLATES = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
VENDOR = Path(str(files("dataset_health.docs") / "vendor"))


def _template_tags() -> list[str]:
    return [tag for template in sorted(GX_TEMPLATES.glob("*.j2"))
            for tag in re.findall(r"<(?:script|link|img)\b[^>]*>", template.read_text(encoding="utf-8"))]


def test_every_asset_gx_templates_load_from_the_network_has_a_local_copy() -> None:
    remote = {url for tag in _template_tags() for url in external_assets(tag)}
    assert len(remote) >= 15, remote  # the templates were found and read
    # Fails when a GX release loads something new: vendor it (docs/vendor/README.md).
    assert sorted(u for u in remote if u not in ASSETS and "great-expectations-web-assets" not in u) == []
    assert sorted(str(p) for p in ASSETS.values() if not (VENDOR / p).is_file()) == []


def test_the_vendored_scripts_are_the_files_gx_pins_by_hash() -> None:
    pinned = 0
    for tag in _template_tags():
        integrity = re.search(r'integrity="sha384-([^"]+)"', tag)
        if integrity is None:
            continue
        [url] = external_assets(tag)
        digest = hashlib.sha384((VENDOR / ASSETS[url]).read_bytes()).digest()
        assert base64.b64encode(digest).decode() == integrity.group(1), url
        pinned += 1
    assert pinned == 2  # Popper and Bootstrap's script


def test_rewritten_tags_load_the_copy_relative_to_the_page_and_lose_their_pinning(tmp_path: Path) -> None:
    page = tmp_path / "validations" / "suite" / "run" / "page.html"
    html = (
        '<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" '
        'integrity="sha384-abc" crossorigin="anonymous"></script>\n'
        '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1&dataContextId=x">\n'
        '<script src="https://example.org/own.js" integrity="sha384-own" crossorigin="anonymous"></script>\n'
        '<a href="https://greatexpectations.io">GX</a>'
    )
    offline = offline_html(html, tmp_path, page)
    assert '<script src="../../../dataset_health/vendor/bootstrap-4.3.1/bootstrap.min.js"></script>' in offline
    assert '<img src="../../../static/images/logo-long.png">' in offline
    # A tag we have no copy for (a user's own template) keeps its URL and its hash.
    assert '<script src="https://example.org/own.js" integrity="sha384-own" crossorigin="anonymous">' in offline
    assert '<a href="https://greatexpectations.io">' in offline  # a link, not a file the page loads
    assert external_assets(offline) == ["https://example.org/own.js"]
    assert offline_html(offline, tmp_path, page) == offline


def test_only_pages_written_since_the_build_are_read_once_the_site_has_its_copies(tmp_path: Path) -> None:
    cdn_page = '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css">'
    (tmp_path / "static").mkdir()
    old, new = tmp_path / "index.html", tmp_path / "expectations" / "suite.html"
    new.parent.mkdir()
    old.write_text(cdn_page)
    assert make_site_offline(tmp_path, since=1e12) == 1  # a site without copies: every page, whatever `since`
    assert (tmp_path / VENDOR_FOLDER / ASSETS["https://cdn.jsdelivr.net/npm/vega@5"]).is_file()
    assert external_assets(old.read_text()) == []

    old.write_text(cdn_page)
    os.utime(old, (1_000_000, 1_000_000))
    new.write_text(cdn_page)
    assert make_site_offline(tmp_path, since=new.stat().st_mtime) == 1
    assert external_assets(new.read_text()) == [] and external_assets(old.read_text()) != []
    assert 'href="../dataset_health/vendor/bootstrap-4.3.1/bootstrap.min.css"' in new.read_text()


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("offline") / "project"
    completed = subprocess.run([sys.executable, "-m", "dataset_health.cli", "demo", "--dir", str(directory)],
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return directory / "gx" / "uncommitted" / "data_docs" / "local_site"


def test_a_checked_project_site_loads_every_file_from_disk(demo_site: Path) -> None:
    pages = [p for p in demo_site.rglob("*.html")]
    assert len(pages) >= 4  # index, suite, validation, and ours
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert external_assets(html) == [], page
        assert "amazonaws.com" not in html, page  # GX's logos, also in its inlined dark-theme styles
        # (GX's favicon link on validation pages is one folder short: a GX bug, harmless.)
        loaded = re.findall(r'<(?:script|img)\b[^>]*\bsrc="([^"#]+)"', html) + re.findall(
            r'<link rel="stylesheet"[^>]*\bhref="([^"#]+)"', html)
        assert len(loaded) >= (0 if page.parent.name == "dataset_health" else 14), page
        for local in loaded:
            assert (page.parent / local).resolve().is_file(), (page.relative_to(demo_site), local)
    for sheet in demo_site.rglob("*.css"):
        assert "amazonaws.com" not in sheet.read_text(encoding="utf-8"), sheet


def _dump_dom(chromium: str, page: Path, profile: Path) -> subprocess.CompletedProcess:
    # No network at all: a page that still needed a CDN would render without its scripts.
    return subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )


def test_gx_index_and_validation_page_render_offline_in_chromium(demo_site: Path, chromium: str, tmp_path: Path) -> None:
    index = _dump_dom(chromium, demo_site / "index.html", tmp_path / "profile")
    assert index.returncode == 0, index.stderr[-2000:]
    # bootstrap-table (a script from the vendor folder) draws the list of validation
    # results from data in the page; without its script the list is empty.
    assert 'class="bootstrap-table' in index.stdout
    [validation] = list((demo_site / "validations").rglob("*.html"))
    assert re.search(r'<tr[^>]*data-index="0"[^>]*>.*?dataset_health__court_filings', index.stdout, re.S)
    page = _dump_dom(chromium, validation, tmp_path / "profile")
    assert page.returncode == 0, page.stderr[-2000:]
    assert 'class="bootstrap-table' in page.stdout
    errors = [line for line in index.stderr.splitlines() + page.stderr.splitlines()
              if "CONSOLE" in line and ("Uncaught" in line or "ERR_" in line)]
    assert errors == [], errors


def test_docs_build_rebuilds_a_deleted_site_offline(demo_site: Path) -> None:
    from click.testing import CliRunner

    from dataset_health.cli import main

    project = demo_site.parents[2].parent
    validation_pages = sorted(p.relative_to(demo_site) for p in (demo_site / "validations").rglob("*.html"))
    shutil.rmtree(demo_site)
    result = CliRunner().invoke(main, ["--project", str(project), "docs", "build"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Data Docs: {demo_site / 'index.html'}"
    # Every stored validation has its page again, and so has every archived dataset.
    assert sorted(p.relative_to(demo_site) for p in (demo_site / "validations").rglob("*.html")) == validation_pages
    assert (demo_site / "dataset_health" / "court_filings.html").is_file()
    index = (demo_site / "index.html").read_text(encoding="utf-8")
    assert "Dataset health history" in index and external_assets(index) == []
    for page in demo_site.rglob("*.html"):
        assert external_assets(page.read_text(encoding="utf-8")) == [], page
