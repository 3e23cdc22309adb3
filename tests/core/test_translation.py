"""core.translation folds the chain of fallback catalogs into one: every lookup must answer as before."""

import gettext as gettext_module

from django.utils.translation import trans_real

from core.translation import flatten


def chain_keys(translation) -> set:
    keys = set()
    for catalog in translation._catalog._catalogs:
        keys.update(catalog)
    fallback = translation._fallback
    while fallback is not None:
        keys.update(getattr(fallback, "_catalog", {}) or {})
        fallback = getattr(fallback, "_fallback", None)
    return keys


def test_flattened_zh_hans_translation_answers_every_message_as_the_chained_one_did():
    chained = trans_real.DjangoTranslation("zh-hans")
    assert isinstance(chained._fallback, gettext_module.GNUTranslations), "Wagtail's zh catalogs chain behind zh_Hans"
    keys = chain_keys(chained)
    singular = sorted(k for k in keys if isinstance(k, str) and k)
    plural = sorted({k[0] for k in keys if isinstance(k, tuple)})
    before = [chained.gettext(k) for k in singular] + [chained.ngettext(m, m, n) for m in plural for n in (1, 2, 5)]

    flattened = trans_real.DjangoTranslation("zh-hans")
    flatten(flattened)
    after = [flattened.gettext(k) for k in singular] + [flattened.ngettext(m, m, n) for m in plural for n in (1, 2, 5)]

    assert flattened._fallback is None
    assert len(singular) > 1000
    assert after == before
    assert flattened.gettext("社会组织名录：一段没有译文的中文") == "社会组织名录：一段没有译文的中文"


def test_the_active_translation_is_flattened_when_first_built():
    assert trans_real.translation("zh-hans")._fallback is None
    english = trans_real.translation("en")
    assert not isinstance(english._fallback, gettext_module.GNUTranslations) or isinstance(
        english._fallback, trans_real.DjangoTranslation
    )


def test_every_generated_display_method_answers_as_djangos_own(db):
    from functools import partialmethod

    from django.apps import apps
    from django.db.models import Model

    from core.translation import choice_display

    checked = 0
    for model in apps.get_models():
        for field in model._meta.fields:
            method = model.__dict__.get(f"get_{field.name}_display")
            if not isinstance(method, partialmethod) or field.choices is None:
                continue
            assert method.func is choice_display, f"{model.__name__}.{field.name}"
            instance = model()
            for value in [choice for choice, _label in field.flatchoices] + ["no-such-value", None]:
                setattr(instance, field.attname, value)
                assert choice_display(instance, field) == Model._get_FIELD_display(instance, field)
                checked += 1
    assert checked > 100
