"""One catalog per language instead of a chain of a dozen.

Several of Wagtail's apps ship both a ``zh_Hans`` and a ``zh`` catalog. Python's ``gettext.translation`` chains the
second behind the first, and Django's ``DjangoTranslation.merge`` keeps each app's chain as a fallback of its own,
so the active zh-hans translation ends up with eleven fallbacks in a row. Our interface text is written in Chinese,
so most lookups miss every catalog and walk the whole chain: about 27 µs per ``gettext`` call, and a page makes a
hundred or more of them (field labels, choice labels, template text) — 3 ms of the registry's 17 ms of CPU.

:func:`flatten` folds the chained catalogs into the translation's own catalog. A key already present keeps its
translation (the chain was only consulted when the translation had none) and an earlier fallback wins over a later
one, as before; a catalog with another plural rule is kept as a catalog of its own, so plural forms are looked up
with their own rule. Only plain ``GNUTranslations`` are folded: a fallback that is itself a ``DjangoTranslation``
(another language, Django's default-language fallback) stays the fallback. Lookups return exactly what they
returned before, with one dictionary walk.

:func:`choice_display` answers ``get_FOO_display()`` as Django's ``Model._get_FIELD_display`` does, without hashing
the labels. Django builds ``dict(make_hashable(field.flatchoices))`` on every call, and hashing a lazy label
translates it, so showing one status of a field with eight choices costs eight translations; the API's list of 50
organizations made 800 of them. Here the labels are translated once per field and language and kept, and a call
hashes only the stored value.
"""

import gettext as gettext_module
from functools import partialmethod

from django.apps import apps
from django.db.models import Model
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language, trans_real

_original_translation = trans_real.translation


def flatten(translation) -> None:
    catalog = translation._catalog
    fallback = translation._fallback
    while isinstance(fallback, gettext_module.GNUTranslations) and not isinstance(fallback, trans_real.DjangoTranslation):
        same_rule = next(
            (cat for cat, plural in zip(catalog._catalogs, catalog._plurals, strict=True)
             if plural.__code__ == fallback.plural.__code__),
            None,
        )
        if same_rule is None:
            catalog._catalogs.append({})
            catalog._plurals.append(fallback.plural)
            same_rule = catalog._catalogs[-1]
        for key, value in fallback._catalog.items():
            if key not in catalog:
                same_rule[key] = value
        fallback = fallback._fallback
    translation._fallback = fallback


def translation(language):
    """``trans_real.translation``, flattening each language's translation once, when it is first built."""
    result = _original_translation(language)
    if not getattr(result, "_portal_flattened", False):
        flatten(result)
        result._portal_flattened = True
    return result


def install() -> None:
    """Called from CoreConfig.ready(): Django looks ``translation`` up as a module global at each call. Settings and
    checks may have built the default language's translation before the apps were ready; fold those too."""
    trans_real.translation = translation
    for built in list(trans_real._translations.values()):
        if not getattr(built, "_portal_flattened", False):
            flatten(built)
            built._portal_flattened = True


_LABELS: dict[tuple[int, str | None], dict] = {}


def choice_display(self, field):
    value = getattr(self, field.attname)
    # The translated labels of a field, built once per field and language (choices are fixed when the models load,
    # catalogs when the translations do): a lookup is one hash of the stored value.
    key = (id(field), get_language())
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {
            make_hashable(choice): force_str(label, strings_only=True) for choice, label in field.flatchoices
        }
    return labels.get(make_hashable(value), force_str(value, strings_only=True))


def install_choice_display() -> None:
    """Point every model's generated ``get_FOO_display`` at :func:`choice_display`. A model that defines its own
    ``get_FOO_display`` keeps it (Django leaves those alone too)."""
    for model in apps.get_models():
        for field in model._meta.fields:
            name = f"get_{field.name}_display"
            generated = model.__dict__.get(name)
            if field.choices is not None and isinstance(generated, partialmethod) and generated.func is Model._get_FIELD_display:
                setattr(model, name, partialmethod(choice_display, field=field))
