"""Bad command-line input is reported as `mlops: error: ...` with exit code 2, before anything runs."""

import pytest

from mlops_cli import errors, main


def test_a_bad_set_option_is_a_usage_error_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["run", "--set", "no-equals"]) == 2
    err = capsys.readouterr().err
    assert "mlops: error: --set must be PARAM=VALUE, got 'no-equals'" in err and "Traceback" not in err


def test_the_usage_error_main_reports_is_the_one_in_errors() -> None:
    # commands.py raises it through `from mlops_cli.main import UsageError` until it imports errors directly.
    assert main.UsageError is errors.UsageError and errors.UsageError in errors.expected_errors()
