"""The GX caches: same output as GX without them, compiled once, edits seen at once."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
from great_expectations.core.config_provider import _ConfigurationVariablesConfigurationProvider
from great_expectations.render.view import view

from dataset_health import gx_speedups
from dataset_health.context import get_context


PAGE = {"sections": [], "renderer_type": "SiteIndexPageRenderer", "page_title": "index"}


@pytest.fixture(autouse=True)
def installed(tmp_path: Path) -> None:
    get_context(tmp_path / "project", mode="file")  # installs the caches, as every entry point does
    assert view.Environment is gx_speedups._CachingEnvironment


@pytest.fixture
def compiled(monkeypatch) -> list[str]:
    """Names of the templates Jinja compiles from source."""
    names: list[str] = []
    real_compile = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda self, source, name=None, *a, **k: names.append(name) or real_compile(self, source, name, *a, **k))
    return names


def test_data_docs_templates_compile_once_across_views_and_render_as_without_the_cache(compiled, monkeypatch) -> None:
    monkeypatch.setattr(gx_speedups._bytecode_cache, "_files", None)
    gx_speedups._bytecode_cache.clear()

    first = view.DefaultJinjaView()._get_template("page.j2").render(PAGE)
    compiled_first = len(compiled)
    second = view.DefaultJinjaView()._get_template("page.j2").render(PAGE)

    assert compiled_first >= 1 and len(compiled) == compiled_first  # the second view compiled nothing
    gx_env = view.DefaultJinjaView().env
    uncached = jinja2.Environment(loader=gx_env.loader, autoescape=gx_env.autoescape, extensions=["jinja2.ext.do"])
    assert uncached.bytecode_cache is None
    uncached.filters.update(gx_env.filters)
    uncached.globals.update(gx_env.globals)
    expected = uncached.get_template("page.j2").render(PAGE)
    # Renders differ only in the timestamps GX's filters add; compare the markup without digits.
    assert _no_digits(first) == _no_digits(second) == _no_digits(expected)


def test_a_new_process_finds_the_compiled_templates_on_disk(compiled, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(gx_speedups._bytecode_cache, "_files", jinja2.FileSystemBytecodeCache(str(tmp_path)))
    gx_speedups._bytecode_cache.clear()
    view.DefaultJinjaView()._get_template("page.j2")
    assert compiled and any(tmp_path.iterdir())

    compiled.clear()
    gx_speedups._bytecode_cache.clear()  # what a new process starts with
    view.DefaultJinjaView()._get_template("page.j2")
    assert compiled == []


def test_config_variables_are_reparsed_when_the_file_changes_and_never_shared(tmp_path: Path) -> None:
    variables = tmp_path / "config_variables.yml"
    variables.write_text("db_password: first\nnested:\n  host: a\n")
    provider = _ConfigurationVariablesConfigurationProvider(str(variables))

    values = provider.get_values()
    assert values["db_password"] == "first"
    values["nested"]["host"] = "mutated by a caller"
    assert provider.get_values()["nested"]["host"] == "a"

    variables.write_text("db_password: second\nnested:\n  host: b\n")
    assert provider.get_values() == {"db_password": "second", "nested": {"host": "b"}}


def test_installing_twice_wraps_once() -> None:
    from great_expectations.core import config_provider

    handler = config_provider.yaml
    gx_speedups.install()
    assert config_provider.yaml is handler and isinstance(handler, gx_speedups._ParsedOnceYAML)
    assert not isinstance(handler._handler, gx_speedups._ParsedOnceYAML)


def _no_digits(text: str) -> str:
    return "".join(ch for ch in text if not ch.isdigit())
