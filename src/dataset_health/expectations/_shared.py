"""What every dataset-health expectation shares: serialisation and rendering."""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.render import (
    LegacyDiagnosticRendererType,
    LegacyRendererType,
    RenderedStringTemplateContent,
)
from great_expectations.render.renderer.renderer import renderer


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


def prescriptive_content(
    expectation_class: Any, configuration: Any, result: Any, runtime_configuration: Any, template: str
) -> list[RenderedStringTemplateContent]:
    """A legacy prescriptive block; GX escapes every parameter value in HTML."""
    params = _kwargs_with_defaults(expectation_class, configuration, result)
    styling = (runtime_configuration or {}).get("styling", {})
    return [
        RenderedStringTemplateContent(
            content_block_type="string_template",
            string_template={"template": template, "params": params, "styling": styling},
        )
    ]


def observed_value_text(result: Any) -> RenderedStringTemplateContent | str:
    """The verdict's one-line reason, for the "Observed value" column."""
    details = ((result.result or {}).get("details") or {}) if result is not None else {}
    reason = details.get("reason")
    if not reason:
        return "--"
    # As a template parameter the reason is HTML-escaped by GX; a plain string is not.
    return RenderedStringTemplateContent(
        content_block_type="string_template",
        string_template={"template": "$reason", "params": {"reason": reason}},
    )


class VerdictRenderers:
    """Data Docs renderers shared by every dataset-health expectation.

    The prescriptive column states the rule in words (``prescriptive_template``,
    GX string-template syntax over the expectation's kwargs); the observed
    value column shows the verdict's one-line reason.
    """

    prescriptive_template: ClassVar[str] = ""

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration=None, result=None, runtime_configuration=None, **kwargs):
        return prescriptive_content(cls, configuration, result, runtime_configuration, cls.prescriptive_template)

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.OBSERVED_VALUE)
    def _diagnostic_observed_value_renderer(cls, configuration=None, result=None, runtime_configuration=None, **kwargs):
        return observed_value_text(result)


class ArchiveExpectation(SerializeEveryKwarg, VerdictRenderers):
    """Mixed in before the GX base class of each dataset-health expectation."""
