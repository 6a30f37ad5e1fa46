# Transcripts, recordings and replays (issue 10 items 3, 5, 7, 13): --check's
# matcher on long outputs, received bytes that must not become commands when
# a recording is replayed, record's failures, user text escaped on screen.


@test
def test_7_replay_check_matches_megabytes_after_ellipsis_without_crashing():
    data = os.urandom(3 << 20)

    def serve(conn):
        conn.sendall(data)
    peer = Peer(serve)
    transcript = script("long.md", "```\n"
                        f"sock> create_connection c 127.0.0.1 {peer.port}\n"
                        "sock> set display hex\n"
                        "sock> recvall c\n...\nthis line is not in the dump\n"
                        "sock> echo after\nafter\n```\n")
    result = run(["--check", transcript], timeout=120)
    peer.finish()
    check(not killed_by_signal(result) and result.rc == 1, "expected one mismatch, exit 1\n" + result.describe())
    text = result.out + result.err
    check("this line is not in the dump" in text and "sock> echo after" not in text,
          "the report names the mismatch and counts the rest\n" + result.describe(300))
