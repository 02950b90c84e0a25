"""FAB's and Continuum's private internals that OpsHub relies on are listed in one module; an
upgrade that removes one or changes its signature fails here, naming it."""

from __future__ import annotations

import inspect

from flask_appbuilder import ModelView

from app.core import compat


def test_every_private_symbol_we_override_or_read_still_exists_with_its_signature():
    assert compat.missing_private_symbols() == []


def test_the_check_names_a_symbol_that_is_gone_or_changed(monkeypatch):
    monkeypatch.setattr(
        compat, "PRIVATE_SYMBOLS", [(ModelView, "_no_such_method", ("self",)), (ModelView, "_add", ("self", "pk"))]
    )
    problems = compat.missing_private_symbols()
    assert any("ModelView._no_such_method: method is gone" in p for p in problems)
    assert any("ModelView._add: signature is now" in p for p in problems)


def test_no_module_outside_compat_overrides_a_private_fab_method():
    """The overrides live in app/core/compat.py; the base classes only define public hooks."""
    from app.core.api import OpsModelRestApi
    from app.core.interface import OpsInterface
    from app.core.security import OpsSecurityManager
    from app.core.views import OpsModelView

    overridden = {(owner, name) for owner, name, _ in compat.PRIVATE_SYMBOLS}
    for cls in (OpsModelView, OpsModelRestApi, OpsInterface, OpsSecurityManager):
        for name, member in vars(cls).items():
            if name.startswith("_") and not name.startswith("__") and inspect.isfunction(member):
                assert not any(name == n for _, n in overridden), f"{cls.__name__}.{name} belongs in compat.py"
