# \N{NAME} as CPython reads it (issue 10's table): names made from the code
# point only as spelt, no Tangut ideograph, Unicode's aliases (BEL, NBSP).
# The name table is built from the named blocks only: built from all 1.1
# million code points it took 2.2 s under AddressSanitizer, which the random
# lines test saw as lines Ctrl-C could not end.


def py_literal_error(literal):
    try:
        compile(literal, "<line>", "eval")
    except SyntaxError as exc:
        return exc.msg
    return None


@test
def test_7_names_refused_where_cpython_refuses_them():
    literals = ["'\\N{hangul syllable ga}'", "'\\N{cjk unified ideograph-4e00}'", "'\\N{TANGUT IDEOGRAPH-17000}'",
                "'\\N{CJK UNIFIED IDEOGRAPH-31350}'", "'\\N{NO SUCH CHARACTER}'"]
    lines = [f"echo ({literal},)" for literal in literals]
    result = run([script("names.sock", "\n".join(lines) + "\n")])
    expected = []
    for number, literal in enumerate(literals, 1):
        message = py_literal_error(literal)
        check(message is not None, f"python3 accepted {literal}")
        expected.append(f"{WORK}/names.sock:{number}: SyntaxError: {message} (column 7)")
    expect(result, out=[], err=expected, rc=1)


@test
def test_7_names_each_matches_python():
    # Names, aliases and names made from the code point, each python3's value.
    names = ["BULLET", "LATIN SMALL LETTER E WITH ACUTE", "BEL", "NBSP", "ZWJ", "SNOWMAN", "GREEK SMALL LETTER ALPHA",
             "HANGUL SYLLABLE GA", "CJK UNIFIED IDEOGRAPH-4E00", "tangut component-001", "VS16", "BOM"]
    lines = [f"echo ('\\N{{{name}}}',)" for name in names]
    result = run([script("many-names.sock", "\n".join(lines) + "\n")])
    expected = [repr((eval("'\\N{%s}'" % name),)) for name in names]
    expect(result, out=expected, err=[], rc=0)
