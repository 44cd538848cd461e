"""gunicorn.conf.py: each web worker, once it has loaded the application, collects garbage less often."""

from __future__ import annotations

import gc
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def _load_conf() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gunicorn_conf", CONF)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_a_worker_freezes_its_start_up_objects_and_raises_the_young_threshold(
    restored_gc: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WEB_GC_THRESHOLD", raising=False)
    _load_conf().post_worker_init(object())
    assert gc.get_threshold() == (50000, 50, 100)
    assert gc.get_freeze_count() > 0  # the objects loaded so far are out of the collector's way


def test_the_thresholds_can_be_set_back_to_pythons_default(restored_gc: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_GC_THRESHOLD", "700,10,10")
    _load_conf().post_worker_init(object())
    assert gc.get_threshold() == (700, 10, 10)


def test_the_workers_are_threaded_and_two_a_core_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("WEB_THREADS", raising=False)
    conf = _load_conf()
    assert conf.worker_class == "gthread"
    assert conf.threads == 4
    assert conf.workers >= 2
