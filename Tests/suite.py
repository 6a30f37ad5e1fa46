"""The runner the loopback suites share (Tests/Serve, Tests/Packets): each
test a function, run in order, `-k NAME` to run those whose name holds NAME,
one PASS or FAIL line each and the traceback of a failure, then the line
"N passed, N failed"."""
import sys
import time
import traceback


def run(tests, only=None):
    """Runs the tests; returns the exit status (1 if any failed)."""
    passed = failed = 0
    for function in tests:
        if only and only not in function.__name__:
            continue
        started = time.monotonic()
        try:
            function()
            passed += 1
            print(f"PASS {function.__name__} ({time.monotonic() - started:.1f} s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {function.__name__} ({time.monotonic() - started:.1f} s)\n{traceback.format_exc()}", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def only_argument():
    """The NAME of `-k NAME` on the command line, or None."""
    return sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv else None
