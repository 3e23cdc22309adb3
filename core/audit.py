"""The one function that writes the audit log (DESIGN.md §5). Every service calls it inside its own
transaction, so an audit row exists exactly when the change it describes was committed."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.forms.models import model_to_dict

from .middleware import current_ip
from .models import AuditEntry


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict:
    """A JSON-ready picture of a row's concrete fields (foreign keys as ids), for ``before``/``after``."""
    data = model_to_dict(obj, fields=fields)
    for key, value in list(data.items()):
        if isinstance(value, list):  # many-to-many: ids only
            data[key] = [getattr(v, "pk", v) for v in value]
        elif hasattr(value, "name") and hasattr(value, "url"):  # files: the stored name
            data[key] = value.name or ""
    return data


def record(action: str, **fields) -> AuditEntry:
    """Append one audit row: :func:`build` with the same arguments, saved."""
    entry = build(action, **fields)
    entry.save()
    return entry


def build(
    action: str,
    *,
    actor=None,
    obj: models.Model | None = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    ip_address: str | None = None,
    region=None,
) -> AuditEntry:
    """One audit row, unsaved: :func:`record` saves it; a hot path inserts it beside its own rows in the same
    transaction (``core.fastsql.insert``, the redemption).

    ``actor`` is the user who acted (None for the system); ``obj`` the row acted on; ``before`` and
    ``after`` what changed; the client address comes from the current request when not given. The
    region is taken from ``obj.region`` when the object has one, so officers see the entries of their
    jurisdiction.
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    entry = AuditEntry(
        actor=actor,
        actor_label=(str(actor) if actor else "系统")[:80],
        action=action,
        before=before,
        after=after,
        reason=reason or "",
        ip_address=ip_address or current_ip(),
    )
    if obj is not None:
        entry.content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
        entry.object_id = str(obj.pk)
        entry.object_repr = str(obj)[:200]
        if region is None and getattr(obj, "region_id", None):
            entry.region_id = obj.region_id
    if region is not None:
        entry.region = region
    return entry
