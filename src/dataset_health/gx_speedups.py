"""Two repeated costs inside GX 1.x, cached without changing what GX computes.

Profiling a warm health check (bench/SPEED.md, part a) found two pieces of
GX work that are redone although their input has not changed:

* **Data Docs templates.** Every Data Docs build makes new Jinja
  environments (one per view), so the ~50 templates of a validation page,
  suite page and index are parsed and compiled again on every check: a
  quarter of a warm check. :func:`install` gives those environments a shared
  Jinja bytecode cache, in memory and in Jinja's per-user cache directory, so
  a template is compiled once per version of its source, even across
  processes. Jinja keys the cache by template name and source checksum, so a
  GX upgrade cannot serve stale code.
* **config_variables.yml.** Every read of a context variable (store names,
  site configs: about 90 per check) re-reads and re-parses that YAML file to
  substitute ``${VARS}``. The file is still read every time; only the parse
  is reused, keyed by the file's exact text, and a deep copy is handed out,
  so an edit is seen at once and nothing shared can be mutated.

Both patches are process-wide, idempotent, and leave GX untouched where its
internals differ from what is expected here (a later GX may fix these).
"""

from __future__ import annotations

import copy
import logging
import threading
from typing import Any

import jinja2

logger = logging.getLogger(__name__)

_installed = False
_lock = threading.Lock()


class _SharedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates in memory, backed by Jinja's per-user file cache."""

    def __init__(self) -> None:
        self._memory: dict[str, bytes] = {}
        try:
            self._files: jinja2.BytecodeCache | None = jinja2.FileSystemBytecodeCache()
        except (OSError, RuntimeError):  # no usable temp directory: memory only
            self._files = None

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._memory.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)
        elif self._files is not None:
            try:
                self._files.load_bytecode(bucket)
            except Exception:  # a damaged cache file is a cache miss
                bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._memory[bucket.key] = bucket.bytecode_to_string()
        if self._files is not None:
            try:
                self._files.dump_bytecode(bucket)
            except OSError:
                pass

    def clear(self) -> None:
        self._memory.clear()


_bytecode_cache = _SharedBytecodeCache()


class _CachingEnvironment(jinja2.Environment):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("bytecode_cache", _bytecode_cache)
        super().__init__(*args, **kwargs)


class _ParsedOnceYAML:
    """GX's YAML handler for config_variables.yml, remembering parses by text."""

    def __init__(self, handler: Any) -> None:
        self._handler = handler
        self._parsed: dict[str, Any] = {}

    def load(self, stream: Any) -> Any:
        if not isinstance(stream, str):
            return self._handler.load(stream)
        if stream not in self._parsed:
            if len(self._parsed) >= 16:  # the file was edited many times in this process
                self._parsed.clear()
            self._parsed[stream] = self._handler.load(stream)
        return copy.deepcopy(self._parsed[stream])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handler, name)


def install() -> None:
    """Install both caches (once per process)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
        from great_expectations.core import config_provider
        from great_expectations.render.view import view

        if getattr(view, "Environment", None) is jinja2.Environment:
            view.Environment = _CachingEnvironment
        else:
            logger.debug("GX's Data Docs views do not build jinja2.Environment here; template cache not installed")
        if hasattr(getattr(config_provider, "yaml", None), "load"):
            config_provider.yaml = _ParsedOnceYAML(config_provider.yaml)
