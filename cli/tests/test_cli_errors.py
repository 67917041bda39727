"""Bad command-line input is reported as `mlops: error: ...` with exit code 2, before anything runs."""

import pytest

from mlops_cli import errors, main


def test_a_bad_set_option_is_a_usage_error_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["run", "--set", "no-equals"]) == 2
    err = capsys.readouterr().err
    assert "mlops: error: --set must be PARAM=VALUE, got 'no-equals'" in err and "Traceback" not in err


def test_a_usage_error_raised_by_the_commands_is_reported_by_main(capsys: pytest.CaptureFixture[str]) -> None:
    # commands raises errors.UsageError (it does not import main: no import cycle), main reports it.
    assert errors.UsageError in errors.expected_errors()
    assert main.main(["run", "--set", "no_such_parameter=1"]) == 2
    err = capsys.readouterr().err
    assert "mlops: error: --set no_such_parameter: unknown parameter" in err and "Traceback" not in err
