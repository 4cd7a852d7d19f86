"""The CLI wrapper: a UserError is a one-line message and exit 2, never a traceback."""

import pytest

from model.common.errors import UserError, run_cli


def test_run_cli_returns_the_command_status():
    assert run_cli(lambda: 1) == 1
    assert run_cli(lambda: None) == 0


def test_run_cli_turns_user_error_into_message_and_exit_2(capsys):
    def bad():
        raise UserError("weights/x.json not found; run 'make convert' first.")

    assert run_cli(bad) == 2
    err = capsys.readouterr().err
    assert err == "error: weights/x.json not found; run 'make convert' first.\n"


def test_run_cli_ctrl_c_is_exit_130(capsys):
    def interrupted():
        raise KeyboardInterrupt

    assert run_cli(interrupted) == 130
    assert "interrupted" in capsys.readouterr().err


def test_run_cli_lets_bugs_through():
    def bug():
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        run_cli(bug)
