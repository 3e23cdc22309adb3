"""Workflows as data (DESIGN.md §3): each model declares a ``Status`` and a map of allowed moves; :func:`move`
is the one function that changes a row's status, refuses any move the map does not allow and writes a
status-change row and an audit row. Services call it on a row they have locked."""

from django.db import models

from . import audit
from .exceptions import InvalidTransition


def move(
    obj: models.Model,
    to: str,
    *,
    transitions: dict[str, set[str]],
    history: type[models.Model],
    history_fk: str,
    actor,
    reason: str = "",
    action_prefix: str,
    extra_fields: dict | None = None,
    region=None,
):
    """Move ``obj.status`` to ``to``; the caller holds the row lock inside a transaction.

    ``extra_fields`` are set on the row in the same save (e.g. ``accepted_at``); ``region`` files the audit row
    under a jurisdiction when the row has no region of its own (a review, a report, a tranche).
    """
    current = obj.status
    if to not in transitions.get(current, set()):
        status_labels = dict(obj._meta.get_field("status").choices)
        raise InvalidTransition(
            f"当前状态为“{status_labels.get(current, current)}”，不能变更为“{status_labels.get(to, to)}”。"
            "可能已有其他人处理了该事项，请刷新后查看。"
        )
    obj.status = to
    fields = ["status"]
    for name, value in (extra_fields or {}).items():
        setattr(obj, name, value)
        fields.append(name)
    if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
        fields.append("updated_at")
    obj.save(update_fields=fields)
    history.objects.create(**{history_fk: obj}, from_status=current, to_status=to, actor=actor, reason=reason)
    audit.record(
        f"{action_prefix}.{to}", actor=actor, obj=obj, before={"status": current}, after={"status": to}, reason=reason,
        region=region,
    )
    return obj
