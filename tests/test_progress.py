"""Progress bars redraw rarely when their output goes to a log, not a terminal."""

import io

from model.common.progress import LOG_INTERVAL_S, progress_bar


def test_bar_into_a_log_redraws_at_most_every_30_s(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr("sys.stderr", log)
    bar = progress_bar(range(1000), desc="work", file=log)
    assert bar.mininterval == bar.maxinterval == LOG_INTERVAL_S == 30.0
    assert sum(1 for _ in bar) == 1000
    assert log.getvalue().count("\r") <= 3  # start, end (and the close), not a redraw per item


def test_bar_on_a_terminal_keeps_tqdm_default(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty = Tty()
    monkeypatch.setattr("sys.stderr", tty)
    bar = progress_bar(range(3), file=tty)
    assert bar.mininterval == 0.1
    bar.close()
