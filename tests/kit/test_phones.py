"""Phone normalisation: the fast path for +E.164 input agrees with the full parser."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from relaybird.kit.phones import _international, normalise, parse_slow

CODES = ["1", "44", "420", "49", "39", "33", "7", "86", "91", "55", "61", "971", "234", "1242"]


@settings(max_examples=400, deadline=None)
@given(code=st.sampled_from(CODES), rest=st.text("0123456789", min_size=1, max_size=13))
def test_fast_path_agrees_with_the_parser(code: str, rest: str) -> None:
    text = f"+{code}{rest}"
    fast = _international(text)
    if fast[0] is not None:
        # The same number, and the same type (what the import's time zone is told).
        assert fast == parse_slow(text, "US")
    assert normalise(text, "US") == parse_slow(text, "US")[0]


def test_examples() -> None:
    assert normalise("+1 (212) 555-0001", "CZ") == "+12125550001"
    assert normalise("00420 601 123 456", "US") == "+420601123456"
    assert normalise("601123456", "CZ") == "+420601123456"
    assert normalise("+39 06 6982 1234", "US") == "+390669821234"  # Italian leading zero
    assert normalise("+44 07911 123456", "US") == "+447911123456"  # trunk 0 written after +44
    assert normalise("+1 555", "US") is None
    assert normalise("hello", "US") is None


def _national_samples() -> list[tuple[str, int, str]]:
    """(region, calling code, national number): every region's example numbers of every type,
    and near misses of each (a digit changed, dropped, added)."""
    import phonenumbers
    from phonenumbers import PhoneNumberType

    samples = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        code = phonenumbers.country_code_for_region(region)
        for kind in vars(PhoneNumberType).values():
            if not isinstance(kind, int):
                continue
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None or example.italian_leading_zero:
                continue
            national = str(example.national_number)
            for variant in (
                national,
                national[:-1] + str((int(national[-1]) + 3) % 10),
                national[:-1],
                national + "7",
                "9" + national[1:],
            ):
                if variant and variant[0] != "0":
                    samples.append((region, code, variant))
    return samples


def test_the_compiled_type_lookup_is_the_librarys() -> None:
    import phonenumbers
    from phonenumbers import phonenumberutil

    from relaybird.kit.phones import region_type

    samples = _national_samples()
    assert len(samples) > 2000
    for region, _, national in samples:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        expected = phonenumberutil._number_type_helper(national, meta)
        assert region_type(national, region) == expected, (region, national)
