"""OpsHub's page widgets (FAB renders pages through widgets): the list with per-row buttons that
respect the owner rule, archived badges and long values kept in bounds; the form with "Save
and add another"."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask_appbuilder.widgets import FormWidget, ListWidget
from markupsafe import Markup


def status_badge(css: Mapping[str, str], css_class: str) -> Callable[[str | None], Markup]:
    """A formatter showing a state as a coloured label (`css`: state -> bootstrap label kind)."""

    def badge(value: str | None) -> Markup:
        return Markup('<span class="label label-{} {}">{}</span>').format(
            css.get(value or "", "default"), css_class, value
        )

    return badge


class OpsListWidget(ListWidget):
    template = "opshub/widgets/list.html"


class OpsFormWidget(FormWidget):
    template = "opshub/widgets/form.html"


class OpsAddFormWidget(OpsFormWidget):
    """The add form: also "Save and add another"."""

    def __init__(self, **kwargs):
        super().__init__(is_add=True, **kwargs)
