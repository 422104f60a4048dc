"""Owner alert actions of one dataset, from its owner in ``dataset_health.yml``.

Only an owner who exists and says ``opted_in: true`` is alerted, through
the channels listed under the owner::

    owner:
      name: Ada Byron
      email: ada@example.org
      opted_in: true
      docs_base_url: https://data.example.org/docs/   # optional, for every channel
      channels:
        - type: slack
          webhook_url: ${ADA_SLACK_WEBHOOK_URL}
        - type: teams
          webhook_url: ${ADA_TEAMS_WEBHOOK_URL}
        - type: webhook
          url: ${ADA_WEBHOOK_URL}
          secret: ${ADA_WEBHOOK_SECRET}      # whsec_<base64>
        - type: email
          smtp_host: smtp.example.org
          username: ${SMTP_USER}
          password: ${SMTP_PASSWORD}
          sender: dataset-health@example.org  # recipients default to the owner's email

A channel takes any field of its action class (``notify_on``,
``renotify_after_hours``, retry settings...); the owner-level keys in
:data:`OWNER_DEFAULTS` apply to every channel that does not set them.
Secret fields must be ``${VARS}``: they are written to the checkpoint
JSON as such and resolved by GX when the alert is sent.

Otherwise the dataset gets a :class:`NotAlertedAction`, which records
``not alerted: no opted-in owner`` when a check fails.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from great_expectations.checkpoint.actions import ValidationAction
from great_expectations.compatibility.pydantic import ValidationError

from dataset_health.actions.base import NotAlertedAction, OwnerAlertAction
from dataset_health.actions.mail import EmailAlertAction
from dataset_health.actions.slack import SlackAlertAction
from dataset_health.actions.teams import TeamsAlertAction
from dataset_health.actions.webhook import WebhookAlertAction
from dataset_health.errors import ConfigError
from dataset_health.project import OWNER_DEFAULTS, Project

CHANNEL_TYPES: dict[str, type[OwnerAlertAction]] = {
    "webhook": WebhookAlertAction,
    "slack": SlackAlertAction,
    "teams": TeamsAlertAction,
    "email": EmailAlertAction,
}
NO_OPTED_IN_OWNER = "no opted-in owner"
ACTION_PREFIX = "owner_alert"
_RESERVED = frozenset({"name", "owner", "dataset", "archive_url"})


def owner_alert_actions(project: Project, dataset: str, *, archive_url: str) -> list[ValidationAction]:
    """The checkpoint actions that alert ``dataset``'s owner.

    Parameters
    ----------
    project : Project
        The loaded project (its ``dataset_health.yml``).
    dataset : str
        The monitored dataset.
    archive_url : str
        The archive database, where the alert log is: its URL, or a
        ``${VAR}`` naming it (as the other dataset-health actions take it).

    Raises
    ------
    ConfigError
        A channel is malformed, names an unknown type or field, holds a
        secret that is not a ``${VAR}``, or a URL whose written part cannot
        start an http(s) URL (e.g. ``ftp://${HOST}/hook``).
    """
    owner = project.dataset(dataset).owner
    common = {"dataset": dataset, "archive_url": archive_url}
    if not owner or owner.get("opted_in") is not True:
        return [NotAlertedAction(name=ACTION_PREFIX, reason=NO_OPTED_IN_OWNER, **common)]
    channels = owner.get("channels") or []
    if not isinstance(channels, list):
        raise ConfigError(f"dataset {dataset!r}: owner field 'channels' must be a list of channel settings")
    if not channels:
        return [NotAlertedAction(name=ACTION_PREFIX, reason=f"owner {owner['name']} has no alert channels", **common)]
    defaults = {key: owner[key] for key in OWNER_DEFAULTS if key in owner}
    seen: Counter[str] = Counter()
    actions: list[ValidationAction] = []
    for position, channel in enumerate(channels, start=1):
        where = f"dataset {dataset!r}: owner channel {position}"
        action_class, settings = _channel_settings(where, channel, owner)
        seen[settings["type"]] += 1
        name = f"{ACTION_PREFIX}_{settings['type']}" + (f"_{seen[settings['type']]}" if seen[settings["type"]] > 1 else "")
        fields = {**defaults, **{k: v for k, v in settings.items() if k != "type"}, **common}
        try:
            actions.append(action_class(name=name, owner=str(owner["name"]), **fields))
        except ValidationError as exc:
            raise ConfigError(f"{where} ({settings['type']}): {_describe(exc)}") from None
    return actions


def _channel_settings(where: str, channel: Any, owner: dict[str, Any]) -> tuple[type[OwnerAlertAction], dict[str, Any]]:
    if not isinstance(channel, dict):
        raise ConfigError(f"{where}: must be a mapping with a 'type'")
    kind = channel.get("type")
    if kind not in CHANNEL_TYPES:
        raise ConfigError(f"{where}: unknown type {kind!r}; known: {', '.join(CHANNEL_TYPES)}")
    action_class = CHANNEL_TYPES[kind]
    reserved = sorted(_RESERVED & set(channel))
    if reserved:
        raise ConfigError(f"{where} ({kind}): {', '.join(map(repr, reserved))} is set by dataset-health, not per channel")
    for field in action_class.secret_fields:
        value = channel.get(field)
        if value is not None and not (isinstance(value, str) and "${" in value):
            # The value itself is never echoed: it is the secret.
            raise ConfigError(
                f"{where} ({kind}): field {field!r} must name an environment variable, e.g. "
                f"${{{field.upper()}}}; secrets are never written into checkpoint files"
            )
    for field in action_class.url_fields:
        value = channel.get(field)
        if isinstance(value, str) and not _may_be_http_url(value):
            raise ConfigError(
                f"{where} ({kind}): field {field!r} must be an http:// or https:// URL, e.g. ${{{field.upper()}}} "
                "naming one"
            )
    settings = dict(channel)
    if kind == "email" and "recipients" not in settings:
        if not owner.get("email"):
            raise ConfigError(f"{where} (email): give 'recipients' or an 'email' for the owner")
        settings["recipients"] = [owner["email"]]
    return action_class, settings


def _may_be_http_url(template: str) -> bool:
    """Whether the written part of ``template``, before its first ${VAR}, can start an http(s) URL.

    The variables are resolved when an alert is sent, and a URL they make
    is checked then (a bad one is recorded as a configuration error of the
    delivery, never raised in the checkpoint). What is written out in
    dataset_health.yml is wrong everywhere, so it is refused here.
    """
    literal = template.split("${", 1)[0].strip().lower()
    return any(literal.startswith(prefix) or prefix.startswith(literal) for prefix in ("http://", "https://"))


def _describe(exc: ValidationError) -> str:
    # pydantic v1 messages name the field and the rule, never the input value.
    return "; ".join(
        f"field {'.'.join(map(str, error['loc']))!r}: {error['msg']}" for error in exc.errors()
    )
