"""Form fields: a relation to a (possibly huge) tenant table as a select2 box that searches the
server as the user types (20 rows at a time, narrowed by the form's other choices where the
target depends on them), instead of FAB's select that loads every row; and styled choices."""

from __future__ import annotations

from flask_appbuilder.fieldwidgets import Select2Widget
from markupsafe import Markup, escape
from wtforms import Field, SelectField
from wtforms.validators import StopValidation

from app.extensions import db


class RemoteSelectWidget:
    def __call__(self, field, **kwargs):
        current = field.data
        option = ""
        if current is not None:
            option = f'<option value="{escape(current.id)}" selected>{escape(str(current))}</option>'
        blank = "" if field.flags.required else '<option value=""></option>'
        depends = f' data-depends-on="{escape(field.depends_on)}"' if field.depends_on else ""
        return Markup(
            f'<select id="{escape(field.id)}" name="{escape(field.name)}" class="form-control opshub-remote-select" '
            f'data-endpoint="{escape(field.endpoint)}"{depends} data-placeholder="Type to search…">'
            f"{blank}{option}</select>"
        )


class RemoteSelectField(Field):
    widget = RemoteSelectWidget()

    def __init__(self, label=None, validators=None, model=None, endpoint="", depends_on=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.model = model
        self.endpoint = endpoint
        self.depends_on = depends_on  # the form field whose choice narrows this one (a deal's client)
        self._raw = None

    def process_formdata(self, valuelist):
        self._raw = valuelist[0] if valuelist else None
        if not self._raw:
            self.data = None
            return
        try:
            pk = int(self._raw)
        except ValueError:
            self.data = None
            return
        # The session's scope filter hides other organizations' rows: they load as None.
        self.data = db.session.get(self.model, pk)

    def pre_validate(self, form):
        if self._raw and self.data is None:
            # StopValidation: DataRequired would otherwise replace this with "This field is required."
            raise StopValidation("Not found in this organization.")


def choice_field(label: str, choices: list[tuple[str, str]], default: str | None = None, **kwargs) -> SelectField:
    """A styled select for an enum-like column (stage, status, currency, type)."""
    return SelectField(label, choices=choices, default=default, widget=Select2Widget(), **kwargs)
