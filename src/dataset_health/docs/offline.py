"""Data Docs that render offline: GX's pages pointed at local copies of their CDN assets.

GX's page templates load Bootstrap, jQuery, bootstrap-table, Font Awesome and
Vega from CDNs, and the GX logo from S3 with the data context's id in its
query string. Without a network the pages lose their layout, and the index
lists no validation results at all, since bootstrap-table draws that list.

After GX writes its pages, :func:`make_site_offline` copies the same files
(vendored in ``dataset_health/docs/vendor``, see its README) into
``<site>/dataset_health/vendor/`` and rewrites the pages to load those, and
the logo from GX's own copy in ``static/images``. A rewritten tag loses its
``integrity`` and ``crossorigin`` attributes: a browser refuses a
``crossorigin`` script from a ``file://`` page. The files are the ones those
hashes pin, which a test checks.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Iterator
from importlib.resources import as_file, files
from pathlib import Path

from dataset_health.gx_files import atomic_write_text

logger = logging.getLogger(__name__)

VENDOR_FOLDER = Path("dataset_health") / "vendor"  # in the site

#: GX's CDN URL -> the copy in the vendor folder.
ASSETS: dict[str, str] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js-1.12.9/popper.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap-4.3.1/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap-4.3.1/bootstrap.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "bootstrap-table-1.19.1/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "bootstrap-table-1.19.1/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "bootstrap-dark-1.1.0/bootstrap-prefers-dark.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "fontawesome-free-6.6.0/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega-5.33.1/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite-5.23.0/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed-6.29.0/vega-embed.min.js",
}

# GX's logos on S3 (the query string carries the data context id); GX copies logo-long.png into the site.
_GX_LOGO = re.compile(r"https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/[\w-]+\.png(\?[^\"'()\s]*)?")
_LOCAL_LOGO = Path("static") / "images" / "logo-long.png"
_TAG = re.compile(r"<(?:script|link|img)\b[^>]*>", re.IGNORECASE)
_URL_ATTRIBUTE = re.compile(r"""\b(?:src|href)\s*=\s*["'](https?://[^"']+)["']""", re.IGNORECASE)
_PINNING = re.compile(r"""\s+(?:integrity|crossorigin)\s*=\s*["'][^"']*["']""", re.IGNORECASE)


def make_site_offline(site_dir: str | Path, *, since: float | None = None) -> int:
    """Point the GX pages of the local site at ``site_dir`` at local assets.

    Only pages modified at or after ``since`` (a ``time.time()``) are read,
    unless the site has no vendor folder yet (a new site, or one built by an
    older release): then every page is. Returns the number of files rewritten.
    """
    site_dir = Path(site_dir)
    if not (site_dir / "index.html").is_file() and not (site_dir / "static").is_dir():
        return 0  # no GX site here (yet)
    first_time = not (site_dir / VENDOR_FOLDER).is_dir()
    copy_vendor_files(site_dir / VENDOR_FOLDER)
    cutoff = None if first_time else since
    rewritten = 0
    for path in _gx_files(site_dir, cutoff):
        text = path.read_text(encoding="utf-8")
        offline = _offline_css(text, site_dir, path) if path.suffix == ".css" else offline_html(text, site_dir, path)
        if offline != text:
            atomic_write_text(path, offline)
            rewritten += 1
        remote = external_assets(offline)
        if remote:
            logger.warning(
                "Data Docs page %s still loads %d file(s) from the network (no local copy): %s",
                path.relative_to(site_dir), len(remote), ", ".join(remote),
            )
    return rewritten


def offline_html(html: str, site_dir: Path, page: Path) -> str:
    """``html`` (the page at ``page``) with every vendored asset and GX logo loaded locally."""
    vendor = _relative(site_dir / VENDOR_FOLDER, page)
    logo = _relative(site_dir / _LOCAL_LOGO, page)

    def local_tag(match: re.Match[str]) -> str:
        tag = match.group(0)
        url = _URL_ATTRIBUTE.search(tag)
        if url is None:
            return tag
        remote = url.group(1)
        if remote in ASSETS:
            local = f"{vendor}/{ASSETS[remote]}"
        elif _GX_LOGO.fullmatch(remote):
            local = logo
        else:
            return tag  # not ours to change (a user's own template, say)
        return _PINNING.sub("", tag.replace(remote, local))

    # GX inlines its style sheet, whose dark theme draws another logo from S3.
    return _GX_LOGO.sub(logo, _TAG.sub(local_tag, html))


def external_assets(html: str) -> list[str]:
    """The http(s) URLs that the script, stylesheet and image tags of ``html`` load."""
    remote = []
    for tag in _TAG.findall(html):
        if tag[:5].lower() == "<link" and not re.search(r"""rel\s*=\s*["']?stylesheet""", tag, re.IGNORECASE):
            continue  # a link to a page, not a file the page loads
        url = _URL_ATTRIBUTE.search(tag)
        if url is not None:
            remote.append(url.group(1))
    return remote


def copy_vendor_files(destination: Path) -> None:
    """Copy the vendored assets into ``destination``, skipping files already there at the same size."""
    with as_file(files("dataset_health.docs") / "vendor") as source:
        for path in Path(source).rglob("*"):
            if not path.is_file() or path.name == "README.md":
                continue
            target = destination / path.relative_to(source)
            if target.is_file() and target.stat().st_size == path.stat().st_size:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            shutil.copyfile(path, partial)
            os.replace(partial, target)  # a reader never sees half a script


def _offline_css(css: str, site_dir: Path, sheet: Path) -> str:
    return _GX_LOGO.sub(_relative(site_dir / _LOCAL_LOGO, sheet), css)


def _gx_files(site_dir: Path, since: float | None) -> Iterator[Path]:
    """GX's pages and style sheets in the site (not ours), modified at or after ``since``."""
    ours = site_dir / "dataset_health"
    # The file system's clock runs on a coarse tick: a page written just after
    # `since` was taken can carry an older mtime. Reading one twice is harmless.
    cutoff = None if since is None else since - 2.0
    for folder, subfolders, names in os.walk(site_dir):
        if Path(folder) == ours:
            subfolders.clear()
            continue
        for name in names:
            if not name.endswith((".html", ".css")):
                continue
            path = Path(folder) / name
            if cutoff is None or path.stat().st_mtime >= cutoff:
                yield path


def _relative(target: Path, page: Path) -> str:
    return Path(os.path.relpath(target, page.parent)).as_posix()

