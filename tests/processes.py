"""What tests need to start isoaudit as a user's terminal would."""
from __future__ import annotations

import signal


def sigint_as_in_a_terminal() -> None:
    """``preexec_fn`` of a child that must stop on Ctrl-C: a test run started in the background of a script
    ignores SIGINT, and the child would inherit that (Python keeps an ignored SIGINT ignored) and never stop.
    One system call between fork and exec: safe beside the test's threads, unlike Python code that takes locks."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
