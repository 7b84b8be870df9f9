"""Helpers the test modules share."""

import importlib
import os

import pytest


def need(module):
    """Import ``module`` for a reference test (PyTorch, kaleido, ...).

    A developer's machine without it skips the test with the reason; in CI (``CI=true``) a
    missing reference fails instead, so a green CI always means the comparison ran.
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        reason = f"could not import {module!r} ({err}): pip install -r requirements-dev.txt"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: reference tests must run here)", pytrace=False)
        pytest.skip(reason)
