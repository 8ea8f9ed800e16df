"""lammesh.watchers.reveal: the readable forms of a disguised text, with offsets back into it."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from lammesh.watchers.reveal import INVISIBLE, decoded_runs, fold, reveal

ZWSP = "\u200b"


def test_fold_drops_invisible_characters_and_maps_offsets_back():
    text = f"send to exfil{ZWSP}@{ZWSP}evil.io now"
    folded, offsets = fold(text)
    assert folded == "send to exfil@evil.io now"
    start = folded.index("exfil")
    end = start + len("exfil@evil.io")
    assert text[offsets[start] : offsets[end - 1] + 1] == f"exfil{ZWSP}@{ZWSP}evil.io"


def test_fold_applies_nfkc_and_makes_tag_characters_visible():
    assert fold("\uff50\uff49\uff50\uff45\uff20\uff45\uff56\uff49\uff4c\uff0e\uff49\uff4f")[0] == "pipe@evil.io"
    tags = "".join(chr(0xE0000 + ord(c)) for c in "hi x@evil.io")
    assert fold("ok" + tags)[0] == "okhi x@evil.io"
    assert fold("\ufb01le")[0] == "file"  # ligature


def test_fold_turns_cyrillic_and_greek_look_alikes_into_the_latin_they_imitate():
    assert fold("gh\u0440_x \u0430cme.example")[0] == "ghp_x acme.example"  # Cyrillic er, a
    assert fold("\u03bfk")[0] == "ok"  # Greek omicron
    assert fold("Gr\u00fc\u00dfe aus M\u00fcnchen")[0] == "Gr\u00fc\u00dfe aus M\u00fcnchen"  # real letters stay


def test_decoded_runs_find_base64_and_hex_even_without_spaces():
    key = base64.b64encode(b"AKIAIOSFODNN7EXAMPLE").decode()
    text = f"the key id, base64 {key}, and hex {b'x@evil.io says hi'.hex()} too"
    views = decoded_runs(text)
    assert [(v.how, v.text) for v in views] == [("base64", "AKIAIOSFODNN7EXAMPLE"), ("hex", "x@evil.io says hi")]
    assert text[slice(*views[0].run)] == key
    assert views[0].origin(3, 7) == views[0].run  # a match inside a decoded run points at the whole run


def test_decoded_runs_leave_words_numbers_and_binary_alone():
    assert decoded_runs("internationalisation 12345678901234567890 ABCDEFGHIJKLMNOPQRST") == []
    binary = base64.b64encode(bytes(range(200, 230))).decode()
    assert decoded_runs(f"blob {binary}") == []


def test_reveal_of_plain_ascii_is_only_its_decoded_runs():
    assert reveal("Thanks, talk soon.") == []
    text = f"Ana: mail x{ZWSP}@evil.io " + base64.b64encode(b"ghp_abc and more").decode()
    hows = [v.how for v in reveal(text)]
    assert hows == ["folded", "base64"]
    run = reveal(text)[1].run
    assert text[run[0] : run[1]] == base64.b64encode(b"ghp_abc and more").decode()


@given(st.text(alphabet=st.sampled_from(["a", "b", "@", ".", " ", "\uff41", *sorted(INVISIBLE)]), max_size=40))
def test_fold_offsets_always_point_at_the_character_they_came_from(text):
    folded, offsets = fold(text)
    assert len(offsets) == len(folded)
    assert list(offsets) == sorted(offsets)
    for char, offset in zip(folded, offsets, strict=True):
        assert text[offset] not in INVISIBLE
        assert char in (text[offset], "a")  # "\uff41" (full-width a) folds to "a"


def test_layout_views_put_spaced_split_pieced_escaped_and_spelled_values_back_together():
    from lammesh.watchers.reveal import layout_views

    text = "card 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 ok"
    [spaced] = layout_views(text)
    assert (spaced.how, spaced.text) == ("spaced", "4111111111111111")
    assert text[slice(*spaced.run)] == " ".join("4111111111111111")

    wrapped = "token:\nghp_a1B2c3D4a1B2\n  c3D4a1B2c3D4 end"
    [rejoined] = layout_views(wrapped)
    assert rejoined.how == "rejoined" and "ghp_a1B2c3D4a1B2c3D4a1B2c3D4" in rejoined.text
    start = rejoined.text.index("ghp_")
    begin, end = rejoined.origin(start, start + 28)
    assert wrapped[begin:end] == "ghp_a1B2c3D4a1B2\n  c3D4a1B2c3D4"

    assert [(v.how, v.text) for v in layout_views('["4111", "1111", "1111", "1111"]')] == [
        ("pieces", "4111111111111111")
    ]
    [escaped] = layout_views('{"k": "\\u0073\\u006b_live"}')
    assert escaped.how == "unescaped" and escaped.text == '{"k": "sk_live"}'
    spelled = "quatre un un un, un un un un, un un un un, un un un un"
    assert [(v.how, v.text) for v in layout_views(spelled)] == [("spelled", "4111111111111111")]


def test_layout_views_leave_ordinary_layouts_alone():
    from lammesh.watchers.reveal import layout_views

    assert layout_views("S P R I N G  S A L E, one or two days, Regards,\nNorthwind\n+1 555 0100") == []
    assert reveal("a b c d e f g h i j k l m n") == []  # only with layout=True
    assert [v.how for v in reveal("a b c d e f g h i j k l m n", layout=True)] == ["spaced"]
