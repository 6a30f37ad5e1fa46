# recvall's partial value on an error (issue 11 item 5); python3 is asked
# what its loop prints for the same calls.


def py_recvall(sock):
    """`help recvall`'s Python, which has no value to print when a recv fails."""
    return lambda: b"".join(iter(lambda: sock.recv(65536), b""))


@test
def test_7_recvall_prints_no_empty_value_before_its_error():
    # Issue 11 item 5: `b''` means the peer closed; a recvall that received
    # nothing prints only its error, as the Python loop does. With bytes, what
    # arrived is still printed first.
    a, b = socket.socketpair()
    lonely = socket.socket()
    try:
        b.settimeout(0.2)
        outcomes = py_steps(lambda: None, lambda: None, py_recvall(b), lambda: None, py_recvall(lonely))
        a.sendall(b"partial")
        outcomes += [("out", None), ("out", repr(b"partial")), py_outcome(py_recvall(b))]
    finally:
        close_all([a, b, lonely])
    lines = ["socketpair a b", "settimeout b 0.2", "recvall b", "socket lonely", "recvall lonely",
             "sendall a 'partial'", "recvall b", "recvall b"]
    path = script("recvall-nothing.sock", "\n".join(lines) + "\n")
    out, err = split_outcomes(outcomes, lambda index: f"{path}:{index + 1}")
    # The partial value, then the error of the same call (which Python's loop
    # cannot show): line 7 prints b'partial' and fails with the timeout.
    err.insert(-1, f"{path}:7: TimeoutError: timed out")
    expect(run([path]), out=out, err=err, rc=1)
    failure = interrupt_case("socketpair a b", "recvall a", ())
    check(failure is None, f"Ctrl-C during a recvall that received nothing: {failure}")
