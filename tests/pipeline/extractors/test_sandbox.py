import math
import os
import time

import pytest

from xlmr.pipeline.extractors.sandbox import Sandbox, SandboxCrash, SandboxTimeout


def test_result_error_timeout_and_restart():
    sandbox = Sandbox(math.sqrt, timeout=5)
    try:
        assert sandbox(16.0) == 4.0
        with pytest.raises(RuntimeError, match="math domain error"):
            sandbox(-1.0)
        assert sandbox(9.0) == 3.0  # an exception does not cost the child
    finally:
        sandbox.close()


def test_overrun_is_killed_and_the_next_call_works():
    sandbox = Sandbox(time.sleep, timeout=0.5)
    try:
        started = time.monotonic()
        with pytest.raises(SandboxTimeout):
            sandbox(30)
        assert time.monotonic() - started < 5
        assert sandbox(0) is None
    finally:
        sandbox.close()


def test_a_dying_child_is_reported_and_replaced():
    sandbox = Sandbox(os._exit, timeout=5)
    try:
        with pytest.raises(SandboxCrash):
            sandbox(3)
    finally:
        sandbox.close()
