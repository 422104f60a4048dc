"""What every dataset-health expectation shares: serialisation and rendering."""

from __future__ import annotations

import html
import string
from typing import Any, ClassVar

from great_expectations.render import (
    AtomicDiagnosticRendererType,
    AtomicPrescriptiveRendererType,
    LegacyDiagnosticRendererType,
    LegacyRendererType,
    RenderedAtomicContent,
    RenderedStringTemplateContent,
    renderedAtomicValueSchema,
)
from great_expectations.render.renderer_configuration import RendererValueType
from great_expectations.render.renderer.renderer import renderer

from dataset_health.detectors.local_time import check_timezone

TIMEZONE_DESCRIPTION = (
    "The dataset's IANA time zone (e.g. 'America/New_York'): weekdays, hours, holidays and days of the month "
    "are read on its clock; null for UTC."
)


def known_timezone(cls: Any, value: str | None) -> str | None:
    """A pydantic validator of a ``timezone`` field: None or an IANA name."""
    return None if value is None else check_timezone(value)


class SerializeEveryKwarg:
    """Write every success key to the suite JSON, defaults included.

    GX leaves kwargs equal to their default out of the stored configuration,
    so changing a default in a later release would silently change every
    saved suite. Mixed in before the GX base class.
    """

    @property
    def configuration(self):  # type: ignore[no-untyped-def]
        config = super().configuration  # type: ignore[misc]
        for key in self.success_keys:  # type: ignore[attr-defined]
            config.kwargs.setdefault(key, getattr(self, key))
        return config


def _kwargs_with_defaults(expectation_class: Any, configuration: Any, result: Any) -> dict[str, Any]:
    if configuration is None and result is not None:
        configuration = result.expectation_config
    kwargs = dict(configuration.kwargs) if configuration is not None else {}
    for name, field in expectation_class.__fields__.items():
        kwargs.setdefault(name, field.default)
    return kwargs


def _reason(result: Any) -> str | None:
    details = ((result.result or {}).get("details") or {}) if result is not None else {}
    return details.get("reason") or None


def prescriptive_content(
    expectation_class: Any, configuration: Any, result: Any, runtime_configuration: Any, template: str
) -> list[RenderedStringTemplateContent]:
    """A legacy prescriptive block; GX escapes every parameter value in HTML."""
    params = expectation_class.template_params(_kwargs_with_defaults(expectation_class, configuration, result))
    styling = (runtime_configuration or {}).get("styling", {})
    return [
        RenderedStringTemplateContent(
            content_block_type="string_template",
            string_template={"template": template, "params": params, "styling": styling},
        )
    ]


def observed_value_text(result: Any) -> RenderedStringTemplateContent | str:
    """The verdict's one-line reason, for the "Observed value" column."""
    reason = _reason(result)
    if not reason:
        return "--"
    # As a template parameter the reason is HTML-escaped by GX; a plain string is not.
    return RenderedStringTemplateContent(
        content_block_type="string_template",
        string_template={"template": "$reason", "params": {"reason": reason}},
    )


def atomic_content(name: str, template: str, params: dict[str, Any]) -> RenderedAtomicContent:
    """An atomic string block whose parameters are escaped here.

    Atomic content is JSON for another front end to fill in; GX does not
    escape it on the way, so every string (column names, reasons, anything
    the dataset chose) is HTML-escaped before it leaves us. Only the
    parameters the template names are sent.
    """
    used = {m.group("named") or m.group("braced") for m in string.Template.pattern.finditer(template)}
    typed = {key: _atomic_param(value) for key, value in params.items() if key in used}
    value = renderedAtomicValueSchema.load(
        {"template": template, "params": typed, "schema": {"type": "com.superconductive.rendered.string"}}
    )
    return RenderedAtomicContent(name=name, value=value, value_type="StringValueType")


def _atomic_param(value: Any) -> dict[str, Any]:
    if isinstance(value, bool) or value is None:
        return {"schema": {"type": RendererValueType.STRING}, "value": html.escape(str(value).lower())}
    if isinstance(value, (int, float)):
        return {"schema": {"type": RendererValueType.NUMBER}, "value": value}
    return {"schema": {"type": RendererValueType.STRING}, "value": html.escape(str(value))}


class VerdictRenderers:
    """Data Docs renderers shared by every dataset-health expectation.

    The prescriptive column states the rule in words (``prescriptive_template``,
    GX string-template syntax over the expectation's kwargs and whatever
    :meth:`template_params` adds); the observed value column shows the
    verdict's one-line reason. Each comes as a legacy renderer (Data Docs)
    and an atomic one (``rendered_content``, for other front ends).
    """

    prescriptive_template: ClassVar[str] = ""

    @classmethod
    def template_params(cls, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The template's parameters: the kwargs, lists as comma-separated text.

        Subclasses add words derived from kwargs (``weekly``, ``STL``).
        """
        return {k: ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v for k, v in kwargs.items()}

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration=None, result=None, runtime_configuration=None, **kwargs):
        return prescriptive_content(cls, configuration, result, runtime_configuration, cls.prescriptive_template)

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.OBSERVED_VALUE)
    def _diagnostic_observed_value_renderer(cls, configuration=None, result=None, runtime_configuration=None, **kwargs):
        return observed_value_text(result)

    @classmethod
    @renderer(renderer_type=AtomicPrescriptiveRendererType.SUMMARY)
    def _prescriptive_summary(cls, configuration=None, result=None, runtime_configuration=None, **kwargs):
        params = cls.template_params(_kwargs_with_defaults(cls, configuration, result))
        return atomic_content(AtomicPrescriptiveRendererType.SUMMARY, cls.prescriptive_template, params)

    @classmethod
    @renderer(renderer_type=AtomicDiagnosticRendererType.OBSERVED_VALUE)
    def _atomic_diagnostic_observed_value(cls, configuration=None, result=None, runtime_configuration=None, **kwargs):
        return atomic_content(
            AtomicDiagnosticRendererType.OBSERVED_VALUE, "$observed_value", {"observed_value": _reason(result) or "--"}
        )


class ArchiveExpectation(SerializeEveryKwarg, VerdictRenderers):
    """Mixed in before the GX base class of each dataset-health expectation."""
