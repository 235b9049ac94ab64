"""core.forms.Select writes exactly the markup of Django's Select (its templates), faster."""

import pytest
from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from core.forms import Select

CASES = [
    ("stage", "", [("", "All stages"), (1, "New"), (2, 'Won <b>"big"</b> & more')], {"id": "filter_stage"}),
    ("stage", "2", [("", "All stages"), (1, "New"), (2, "Won")], {"id": "s", "class": "x", "data-on": True}),
    ("seller", "0", [("", "Anyone"), ("0", "Unassigned"), ("7", "Ana")], {"disabled": False, "aria-label": "Seller"}),
    ("source", None, [("Web", [("web", "Website"), ("form", "Form")]), ("whatsapp", "WhatsApp")], None),
    ("action", "tag", [("tag", gettext_lazy("Add a tag")), ("move", mark_safe("<i>Move</i>"))], {"required": True}),
    ("n", 3, [(1, 1), (3, 3000)], {"data-x": 'a"b'}),
]


@pytest.mark.parametrize(("name", "value", "choices", "attrs"), CASES)
def test_the_markup_is_djangos(name, value, choices, attrs):
    ours = Select(attrs={"class": "filter"}, choices=choices).render(name, value, attrs=attrs)
    django = forms.Select(attrs={"class": "filter"}, choices=choices).render(name, value, attrs=attrs)

    assert ours == django


def test_a_bound_form_renders_the_same():
    class Django(forms.Form):
        stage = forms.ChoiceField(choices=[("", "All"), ("1", "New")], required=False)

    class Ours(forms.Form):
        stage = forms.ChoiceField(choices=[("", "All"), ("1", "New")], required=False, widget=Select)

    assert str(Ours({"stage": "1"})["stage"]) == str(Django({"stage": "1"})["stage"])
