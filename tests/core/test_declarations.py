"""Tests grow by declaration: every resource the installed domains declare has its inherited
resource tests (tests/<domain>/test_resources.py), and core imports no domain."""

from __future__ import annotations

import importlib
import pathlib
import re

from app.core.registry import registry
from tests.resource_tests import ResourceTests

TESTS = pathlib.Path(__file__).resolve().parents[1]


def _declared_test_classes() -> set[str]:
    for path in TESTS.glob("*/test_resources.py"):
        importlib.import_module(f"tests.{path.parent.name}.test_resources")
    return {cls.resource for cls in ResourceTests.__subclasses__()}


def test_every_registered_resource_has_the_inherited_resource_tests():
    missing = set(registry.resources) - _declared_test_classes()
    assert not missing, f"declare these in tests/<domain>/test_resources.py: {sorted(missing)}"


def test_core_imports_no_domain():
    pattern = re.compile(rf"^\s*(from|import)\s+app\.({'|'.join(sorted(registry.domains))})\b", re.M)
    core = TESTS.parent / "app" / "core"
    offenders = [str(p) for p in core.rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []
