"""The FtM schema registry and the value checks, with plain values and the shared FtM files."""

import ast
import copy as copy_module
import json
import re
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from assettrack.domain import schema
from assettrack.domain.schema import ASSET_SCHEMATA
from assettrack.domain.schema import COUNTRIES
from assettrack.domain.schema import EXTENSION_KEY
from assettrack.domain.schema import ISO_4217_CURRENCIES
from assettrack.domain.schema import NOT_APPLICABLE
from assettrack.domain.schema import OTHER_SCHEMATA
from assettrack.domain.schema import PARTY_SCHEMATA
from assettrack.domain.schema import PLACE_SCHEMATA
from assettrack.domain.schema import RELATION_SCHEMATA
from assettrack.domain.schema import UNKNOWN
from assettrack.domain.schema import InvalidValue
from assettrack.domain.schema import Kind
from assettrack.domain.schema import NotARelation
from assettrack.domain.schema import UnknownProperty
from assettrack.domain.schema import UnknownSchema
from assettrack.domain.schema import caption
from assettrack.domain.schema import export_properties
from assettrack.domain.schema import get_schema
from assettrack.domain.schema import identity_keys
from assettrack.domain.schema import import_properties
from assettrack.domain.schema import is_asset_schema
from assettrack.domain.schema import is_native_schema
from assettrack.domain.schema import is_party_schema
from assettrack.domain.schema import is_relation_schema
from assettrack.domain.schema import parse_percentage
from assettrack.domain.schema import relation_endpoints
from assettrack.domain.schema import schemata
from assettrack.domain.schema import validate_properties
from assettrack.domain.schema import validate_property
from tests.conftest import SHARED_DATA

SHARED_FTM = SHARED_DATA / "ftm"
NATIVE = sorted(PARTY_SCHEMATA | ASSET_SCHEMATA | PLACE_SCHEMATA | RELATION_SCHEMATA)
FTM_ABSTRACT = {"Thing", "Value", "Interval", "Interest"}
FTM_TYPES = {
    "name",
    "string",
    "text",
    "date",
    "country",
    "identifier",
    "entity",
    "number",
    "email",
    "url",
    "phone",
    "iban",
    "address",
}


def invalid(schema_name, prop, value):
    """Return the message of the InvalidValue that the value raises."""
    with pytest.raises(InvalidValue) as caught:
        validate_property(schema_name, prop, value)
    assert caught.value.prop == prop
    assert str(caught.value) == caught.value.message
    return caught.value.message


# --- identifiers with check digits ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
        ("nl91 abna 0417 1643 00", "NL91ABNA0417164300"),
        ("DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
        ("BE71096123456769", "BE71096123456769"),
        # The bank code 539 is missing from stdnum's Belgian registry; the IBAN is still right.
        ("BE68539007547034", "BE68539007547034"),
        ("IT60X0542811101000000123456", "IT60X0542811101000000123456"),
        ("FR1420041010050500013M02606", "FR1420041010050500013M02606"),
        ("ES9121000418450200051332", "ES9121000418450200051332"),
    ],
)
def test_valid_iban_is_returned_compact_and_upper_case(value, expected):
    assert validate_property("BankAccount", "iban", value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("NL91ABNA0417164301", "IBAN NL91ABNA0417164301: the check digits are wrong"),
        ("DE89370400440532013001", "IBAN DE89370400440532013001: the check digits are wrong"),
        (
            "NL91ABNA041716430",
            "IBAN NL91ABNA041716430: an IBAN from NL has 18 characters, this one has 17",
        ),
        (
            "IT60X05428111010000001234567",
            "IBAN IT60X05428111010000001234567: an IBAN from IT has 27 characters, this one has 28",
        ),
        ("XX91ABNA0417164301", "IBAN XX91ABNA0417164301: XX is not a country that issues IBANs"),
        (
            "NL5312340417164300",
            "IBAN NL5312340417164300: the account part does not fit the NL format",
        ),
        (
            "ES2121000418450200051331",
            "IBAN ES2121000418450200051331: the national check digits of the account number "
            "are wrong",
        ),
        ("NL91_ABNA_0417", "IBAN NL91_ABNA_0417: may contain only letters and digits"),
        ("1234567890", "IBAN 1234567890: must start with a country code and two check digits"),
    ],
)
def test_bad_iban_is_refused_with_the_reason(value, message):
    assert invalid("BankAccount", "iban", value) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [("9074729", "9074729"), ("IMO 9074729", "9074729"), ("imo9074729", "9074729")],
)
def test_valid_imo_number_is_returned_as_seven_digits(value, expected):
    assert validate_property("Vessel", "imoNumber", value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9074728", "IMO 9074728: the check digit is wrong"),
        ("IMO 9074728", "IMO 9074728: the check digit is wrong"),
        ("907472", "IMO 907472: must be 7 digits, this one has 6"),
        ("IMO 90747A9", "IMO 90747A9: must be 7 digits, optionally after IMO"),
    ],
)
def test_bad_imo_number_is_refused_with_the_reason(value, message):
    assert invalid("Vessel", "imoNumber", value) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("US0378331005", "US0378331005"),
        ("us0378331005", "US0378331005"),
        ("US 0378 3310 05", "US0378331005"),
        ("NL0000235190", "NL0000235190"),
    ],
)
def test_valid_isin_is_returned_upper_case(value, expected):
    assert validate_property("Security", "isin", value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("US0378331004", "ISIN US0378331004: the check digit is wrong"),
        ("US037833100", "ISIN US037833100: an ISIN has 12 characters, this one has 11"),
        ("QQ0378331005", "ISIN QQ0378331005: QQ is not a country code that ISINs use"),
    ],
)
def test_bad_isin_is_refused_with_the_reason(value, message):
    assert invalid("Security", "isin", value) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("529900T8BM49AURSDO55", "529900T8BM49AURSDO55"),
        ("529900t8bm49aursdo55", "529900T8BM49AURSDO55"),
        ("5299 00T8 BM49 AURS DO55", "529900T8BM49AURSDO55"),
    ],
)
def test_valid_lei_is_returned_upper_case(value, expected):
    assert validate_property("Company", "leiCode", value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("529900T8BM49AURSDO56", "LEI 529900T8BM49AURSDO56: the check digits are wrong"),
        (
            "529900T8BM49AURSDO5",
            "LEI 529900T8BM49AURSDO5: an LEI has 20 characters, this one has 19",
        ),
        (
            "529900T8BM49AURSDOAB",
            "LEI 529900T8BM49AURSDOAB: must be 18 letters or digits and 2 check digits",
        ),
    ],
)
def test_bad_lei_is_refused_with_the_reason(value, message):
    assert invalid("LegalEntity", "leiCode", value) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("DEUTDEFF", "DEUTDEFF"),
        ("DEUTDEFF500", "DEUTDEFF500"),
        ("deut de ff", "DEUTDEFF"),
        ("ABNANL2A", "ABNANL2A"),
    ],
)
def test_valid_bic_is_returned_upper_case(value, expected):
    assert validate_property("BankAccount", "bic", value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("DEUTDEFF5", "BIC DEUTDEFF5: a BIC has 8 or 11 characters, this one has 9"),
        ("DEUTDEFF5000", "BIC DEUTDEFF5000: a BIC has 8 or 11 characters, this one has 12"),
        (
            "DEUT1EFF",
            "BIC DEUT1EFF: must be 4 letters (bank), 2 letters (country), 2 letters or digits "
            "(location) and optionally 3 letters or digits (branch)",
        ),
        ("DEUTXXFF", "BIC DEUTXXFF: XX is not a country code"),
    ],
)
def test_bad_bic_is_refused_with_the_reason(value, message):
    assert invalid("BankAccount", "bic", value) == message


def test_bic_of_a_bank_is_checked_on_the_organization_too():
    assert validate_property("Organization", "swiftBic", "abnanl2a") == "ABNANL2A"
    assert invalid("Company", "swiftBic", "ABNA") == (
        "BIC ABNA: a BIC has 8 or 11 characters, this one has 4"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("BBG000BLNNH6", "BBG000BLNNH6"), ("bbg000blnnh6", "BBG000BLNNH6")],
)
def test_valid_figi_is_returned_upper_case(value, expected):
    assert validate_property("Security", "figiCode", value) == expected


def test_figi_with_a_wrong_check_digit_is_refused():
    assert invalid("Security", "figiCode", "BBG000BLNNH7") == (
        "FIGI BBG000BLNNH7: the check digit is wrong"
    )


# --- identifiers without check digits ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("244123456", "244123456"), ("244 123 456", "244123456"), ("636012345", "636012345")],
)
def test_valid_ship_mmsi_is_returned_as_nine_digits(value, expected):
    assert validate_property("Vessel", "mmsi", value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("24412345", "MMSI 24412345: must be 9 digits, this one has 8"),
        ("24412345A", "MMSI 24412345A: must be 9 digits"),
        (
            "002442000",
            "MMSI 002442000: a ship's MMSI starts with its flag's identification digits, 2 to 7",
        ),
    ],
)
def test_bad_mmsi_is_refused_with_the_reason(value, message):
    assert invalid("Vessel", "mmsi", value) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [("WVWZZZ1JZXW000001", "WVWZZZ1JZXW000001"), ("wvw zzz1jz-xw000001", "WVWZZZ1JZXW000001")],
)
def test_valid_vin_is_returned_compact_and_upper_case(value, expected):
    assert validate_property("Vehicle", "vin", value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("WVWZZZ1JZXW00001", "VIN WVWZZZ1JZXW00001: a VIN has 17 characters, this one has 16"),
        ("WVWZZZ1JZXW00000I", "VIN WVWZZZ1JZXW00000I: contains I, O or Q, which a VIN never uses"),
    ],
)
def test_bad_vin_is_refused_with_the_reason(value, message):
    assert invalid("Vehicle", "vin", value) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1NXYoJ5xU91Jp83XfVMHwwTUyZFK64BoAD", "1NXYoJ5xU91Jp83XfVMHwwTUyZFK64BoAD"),
        (
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        ),
        (
            "0x52908400098527886E0F7030069857D2E4169EE7",
            "0x52908400098527886E0F7030069857D2E4169EE7",
        ),
        ("TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"),
    ],
)
def test_valid_wallet_address_keeps_its_case_except_bech32(value, expected):
    assert validate_property("CryptoWallet", "publicKey", value) == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1NXYoJ5xU91Jp83XfVMHwwTUyZFK64BoAE", "the checksum of the Bitcoin address is wrong"),
        ("0x52908400098527886E0F7030069857D2E4169E", "an Ethereum-style address is 0x and 40"),
        ("1NXY oJ5x", "is not a wallet address"),
    ],
)
def test_bad_wallet_address_is_refused(value, problem):
    assert problem in invalid("CryptoWallet", "publicKey", value)


def test_plain_identifier_is_trimmed_and_its_spaces_collapsed():
    assert validate_property("Company", "registrationNumber", "  HRB   12345 B ") == "HRB 12345 B"


# --- dates, countries, currencies, numbers -------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2020",
        "2020-05",
        "2020-05-17",
        "2020-02-29",
        "1900-01-01",
        "2020-05-17T10:30",
        "2020-05-17T10:30:59",
    ],
)
def test_partial_and_full_dates_are_kept_as_written(value):
    assert validate_property("Person", "birthDate", value) == value


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2020-13", "there is no month 13"),
        ("2020-00-10", "there is no month 0"),
        ("2021-02-29", "there is no day 29 in 2021-02"),
        ("2020-04-31", "there is no day 31 in 2020-04"),
        ("0000", "there is no year 0"),
        ("2020-05-17T24:00", "the time of day is not valid"),
        ("17/05/2020", "is not a date; write YYYY, YYYY-MM or YYYY-MM-DD"),
        ("2020-5-17", "is not a date; write YYYY, YYYY-MM or YYYY-MM-DD"),
        ("20200517", "is not a date; write YYYY, YYYY-MM or YYYY-MM-DD"),
    ],
)
def test_impossible_or_misspelt_date_is_refused(value, problem):
    assert invalid("Person", "birthDate", value) == f"Birth date {value}: {problem}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("NL", "nl"), ("de", "de"), (" It ", "it"), ("UK", "gb"), ("EL", "gr"), ("xk", "xk")],
)
def test_country_is_stored_lower_case_as_ftm_does(value, expected):
    assert validate_property("Person", "nationality", value) == expected


@pytest.mark.parametrize("value", ["XX", "n1", "Atlantis"])
def test_unknown_country_code_is_refused(value):
    assert invalid("Vessel", "flag", value) == (
        f"Flag {value}: is not a country code (two letters, e.g. nl)"
    )


@pytest.mark.parametrize("value", ["NLD", "Netherlands"])
def test_a_country_followthemoney_reads_is_stored_as_its_code(value):
    assert validate_property("Vessel", "flag", value) == "nl"


def test_country_list_is_the_one_followthemoney_knows():
    from followthemoney import registry

    assert set(COUNTRIES) == set(registry.country.names)
    assert {"nl", "be", "de", "fr", "es", "it", "gr", "pl", "ro", "ic", "xk"} <= set(COUNTRIES)


@pytest.mark.parametrize("code", sorted(__import__("followthemoney").registry.country.names))
def test_every_country_followthemoney_knows_is_accepted(code):
    assert validate_property("Company", "jurisdiction", code) == code


@pytest.mark.parametrize(("value", "expected"), [("eur", "EUR"), ("USD", "USD"), (" chf", "CHF")])
def test_currency_is_an_upper_case_iso_4217_code(value, expected):
    assert validate_property("Payment", "currency", value) == expected


@pytest.mark.parametrize("value", ["EURO", "XYZ", "€"])
def test_unknown_currency_is_refused(value):
    assert "is not an ISO 4217 currency code" in invalid("Payment", "currency", value)


def test_currency_list_is_the_one_the_lifecycle_uses():
    from assettrack.domain.lifecycle import ISO_4217_CURRENCIES as LIFECYCLE_CURRENCIES

    assert ISO_4217_CURRENCIES == LIFECYCLE_CURRENCIES


def test_wallet_currency_is_a_cryptocurrency_not_iso_4217():
    assert validate_property("CryptoWallet", "currency", "btc") == "BTC"
    assert validate_property("CryptoWallet", "currency", "USDT") == "USDT"
    assert "is not a currency code" in invalid("CryptoWallet", "currency", "bit coin")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("25", "25"),
        ("25.5", "25.5"),
        ("76.50", "76.50"),
        ("0", "0"),
        ("100", "100"),
        ("25 %", "25"),
        ("25-50", "25-50"),
        ("25 – 50 %", "25-50"),
        (Decimal("12.5"), "12.5"),
        (50, "50"),
    ],
)
def test_percentage_is_a_decimal_string_or_a_band(value, expected):
    assert validate_property("Ownership", "percentage", value) == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("120", "must be at most 100"),
        ("-1", "must be at least 0"),
        ("25,5", "use a point, not a comma, for decimals (e.g. 25.5)"),
        ("a quarter", "is not a number; write digits with a point for decimals, e.g. 1234.50"),
        ("50-25", "the lower end of the range is above the upper end"),
        ("1e2", "is not a number; write digits with a point for decimals, e.g. 1234.50"),
    ],
)
def test_bad_percentage_is_refused_with_the_reason(value, problem):
    assert invalid("Ownership", "percentage", value) == f"Percentage held {value}: {problem}"


def test_percentage_as_float_is_refused_because_money_and_shares_are_never_floats():
    assert "is not text" in invalid("Ownership", "percentage", 25.5)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("25", (Decimal(25), Decimal(25))),
        ("33.33", (Decimal("33.33"), Decimal("33.33"))),
        ("25-50", (Decimal(25), Decimal(50))),
        ("unknown", None),
        ("n/a", None),
    ],
)
def test_percentage_parses_to_its_bounds(value, expected):
    assert parse_percentage(value) == expected


def test_parse_percentage_refuses_a_share_above_100():
    with pytest.raises(InvalidValue, match="must be at most 100"):
        parse_percentage("101")


@pytest.mark.parametrize(
    ("schema_name", "prop", "value", "problem"),
    [
        ("RealEstate", "area", "-3", "must be at least 0"),
        ("RealEstate", "latitude", "91", "must be at most 90"),
        ("Payment", "amount", "-100", "must be at least 0"),
        ("Payment", "amountEur", "1.000,50", "use a point, not a comma"),
        ("Vessel", "deadweightTonnage", "heavy", "is not a number"),
    ],
)
def test_numbers_are_decimal_strings_within_bounds(schema_name, prop, value, problem):
    assert problem in invalid(schema_name, prop, value)


def test_a_negative_balance_is_allowed():
    assert validate_property("BankAccount", "balance", "-1250.75") == "-1250.75"


@pytest.mark.parametrize(
    ("schema_name", "prop", "value", "problem"),
    [
        ("Person", "email", "jan.devries(at)example.nl", "is not an e-mail address"),
        ("Company", "website", "www.example.nl", "must start with http:// or https://"),
        ("Person", "phone", "call me", "is not a phone number"),
        ("Ownership", "owner", "entity 42", "is not an entity id"),
        ("Person", "name", "Jan\x00de Vries", "contains control characters"),
        ("Person", "name", "x" * 501, "is 501 characters long; the limit is 500"),
    ],
)
def test_other_types_are_checked(schema_name, prop, value, problem):
    assert problem in invalid(schema_name, prop, value)


def test_text_keeps_its_line_breaks_but_names_are_one_line():
    assert validate_property("Person", "notes", " first\nsecond ") == "first\nsecond"
    assert validate_property("Person", "name", " Jan \n de  Vries ") == "Jan de Vries"


def test_empty_value_is_refused_by_validate_property():
    assert invalid("Person", "name", "   ") == "Name: is empty"


# --- unknown and not applicable ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema_name", "prop"),
    [
        ("Person", "birthDate"),
        ("Person", "nationality"),
        ("Person", "name"),
        ("Ownership", "percentage"),
        ("RealEstate", "area"),
        ("Payment", "currency"),
    ],
)
@pytest.mark.parametrize(
    ("value", "marker"),
    [
        ("unknown", UNKNOWN),
        ("UNKNOWN", UNKNOWN),
        ("n/a", NOT_APPLICABLE),
        (" N/A ", NOT_APPLICABLE),
    ],
)
def test_markers_are_values_of_any_non_identifier_property(schema_name, prop, value, marker):
    assert validate_property(schema_name, prop, value) == marker


@pytest.mark.parametrize(
    ("schema_name", "prop"),
    [
        ("BankAccount", "iban"),
        ("Company", "registrationNumber"),
        ("Vessel", "imoNumber"),
        ("Person", "idNumber"),
        ("CryptoWallet", "publicKey"),
        ("Ownership", "owner"),
        ("Vehicle", "vin"),
    ],
)
def test_identifiers_and_references_cannot_be_markers(schema_name, prop):
    message = invalid(schema_name, prop, "unknown")
    assert message.endswith(
        '"unknown" is a marker, not a value this field can hold; leave it empty instead'
    )


# --- whole entities ------------------------------------------------------------------------------


def test_scalar_values_are_wrapped_and_values_normalised_and_deduplicated():
    result = validate_properties(
        "BankAccount",
        {"iban": "NL91 ABNA 0417 1643 00", "bic": ["abnanl2a", "ABNANL2A"], "bankName": "ABN AMRO"},
    )
    assert result.ok
    assert result.properties == {
        "iban": ["NL91ABNA0417164300"],
        "bic": ["ABNANL2A"],
        "bankName": ["ABN AMRO"],
    }


def test_empty_values_are_not_recorded_and_differ_from_unknown():
    result = validate_properties(
        "Person", {"name": "Anna Rossi", "birthDate": "", "nationality": None, "deathDate": "n/a"}
    )
    assert result.properties == {"name": ["Anna Rossi"], "deathDate": ["n/a"]}
    assert result.errors == {}


def test_unknown_property_of_a_known_schema_is_kept_with_a_warning():
    result = validate_properties(
        "Payment",
        {"payer": "p1", "beneficiary": "o1", "amountEur": "1500", "namesMentioned": ["Dr. X"]},
    )
    assert result.properties["namesMentioned"] == ["Dr. X"]
    assert result.warnings == [
        "namesMentioned: not a Payment property assettrack checks; kept as it came"
    ]
    assert list(result.properties) == ["payer", "beneficiary", "amountEur", "namesMentioned"]


def test_every_problem_is_reported_and_only_bad_values_are_left_out():
    result = validate_properties(
        "Vessel",
        {
            "name": "Ocean Star",
            "imoNumber": ["9074729", "9074728"],
            "flag": "XX",
            "buildDate": "1996-13",
        },
    )
    assert result.properties == {"name": ["Ocean Star"], "imoNumber": ["9074729"]}
    assert result.errors == {
        "imoNumber": "IMO 9074728: the check digit is wrong",
        "flag": "Flag XX: is not a country code (two letters, e.g. nl)",
        "buildDate": "Build Date 1996-13: there is no month 13",
    }
    assert not result.ok


def test_relation_needs_both_ends_unless_partial():
    result = validate_properties("Ownership", {"owner": "p1", "percentage": "50"})
    assert result.errors == {"asset": "Asset: is required"}
    assert validate_properties("Ownership", {"percentage": "50"}, partial=True).ok


def test_party_needs_a_name_but_an_unknown_name_will_do():
    assert validate_properties("Person", {"birthDate": "1970"}).errors == {
        "name": "Name: is required"
    }
    assert validate_properties("Person", {"name": "unknown"}).ok


def test_marker_beside_a_real_value_is_dropped_with_a_warning():
    result = validate_properties("Person", {"name": "Li Wei", "nationality": ["unknown", "CN"]})
    assert result.properties["nationality"] == ["cn"]
    assert result.warnings == ["nationality: unknown dropped beside a value"]


def test_unknown_and_not_applicable_together_is_an_error():
    result = validate_properties("Person", {"name": "Li Wei", "deathDate": ["unknown", "n/a"]})
    assert "deathDate" not in result.properties
    assert result.errors == {"deathDate": "Death date: cannot be both unknown and not applicable"}


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        ("2020-05-17", "2021", True),
        ("2020", "2020-01-01", True),
        ("2020-05", "2020-05-17", True),
        ("2020-05-17", "2020-05-16", False),
        ("2021", "2020-12-31", False),
        ("2020-05-17", "unknown", True),
    ],
)
def test_a_relation_cannot_end_before_it_starts(start, end, ok):
    result = validate_properties(
        "Directorship", {"director": "p1", "organization": "c1", "startDate": start, "endDate": end}
    )
    assert result.ok is ok
    if not ok:
        assert result.errors["endDate"] == f"End date {end}: is before the start date {start}"
        assert "endDate" not in result.properties


def test_other_ftm_schema_is_kept_as_it_came():
    result = validate_properties("Sanction", {"entity": "p1", "program": ["EU 269/2014"]})
    assert result.properties == {"entity": ["p1"], "program": ["EU 269/2014"]}
    assert result.errors == {}
    assert result.warnings == [
        "Sanction is kept as it came; assettrack does not check its properties"
    ]


def test_unknown_schema_is_refused():
    with pytest.raises(UnknownSchema):
        validate_properties("Ship", {"name": "Ocean Star"})


def test_non_text_value_of_an_unknown_property_is_an_error():
    result = validate_properties("Person", {"name": "Jan", "extra": [{"nested": 1}]})
    assert result.errors == {"extra": "extra: {'nested': 1} is not text"}


@pytest.mark.parametrize("filename", ["donations.ftm.jsonl", "bods_examples.ftm.jsonl"])
def test_real_ftm_files_validate_without_value_errors(filename):
    path = SHARED_FTM / filename
    assert path.exists(), f"shared data file missing: {path}"
    problems = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            entity = json.loads(line)
            result = validate_properties(entity["schema"], entity["properties"], partial=True)
            problems.extend((entity["id"], prop, msg) for prop, msg in result.errors.items())
            # Nothing imported is lost: every property that had a value is still there.
            assert set(result.properties) == {p for p, v in entity["properties"].items() if v}
    assert problems == []


# --- captions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema_name", "properties", "expected"),
    [
        ("Person", {"name": ["Jan de Vries", "J. de Vries"]}, "Jan de Vries"),
        ("Person", {"lastName": ["de Vries"]}, "de Vries"),
        ("Person", {"name": ["unknown"], "alias": ["Il Professore"]}, "Il Professore"),
        ("Person", {}, "Person"),
        ("Company", {"registrationNumber": ["24123456"]}, "24123456"),
        ("Vessel", {"imoNumber": ["9074729"]}, "9074729"),
        ("Vehicle", {"vin": ["WVWZZZ1JZXW000001"]}, "WVWZZZ1JZXW000001"),
        (
            "BankAccount",
            {"name": ["Main account"], "iban": ["NL91ABNA0417164300"]},
            "NL91ABNA0417164300",
        ),
        ("BankAccount", {"accountNumber": ["0417164300"]}, "0417164300"),
        (
            "CryptoWallet",
            {"publicKey": ["bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"]},
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        ),
        (
            "Address",
            {"full": ["Via Balbi 5, 16126 Genova"], "city": ["Genova"]},
            "Via Balbi 5, 16126 Genova",
        ),
        ("Address", {"city": ["Genova"]}, "Genova"),
        ("RealEstate", {"address": ["Via Roma 1, Gioia Tauro"]}, "Via Roma 1, Gioia Tauro"),
        ("Ownership", {"percentage": ["25-50"]}, "25-50 %"),
        ("Ownership", {"role": ["nominee"]}, "nominee"),
        ("Payment", {"amount": ["1500.00"], "currency": ["eur"]}, "1500.00 EUR"),
        ("Payment", {"amountEur": ["1500"]}, "1500 EUR"),
        ("Payment", {"amount": ["1500"]}, "1500"),
        ("Directorship", {}, "Directorship"),
        ("Sanction", {"name": ["EU sanctions"]}, "EU sanctions"),
    ],
)
def test_caption_names_the_entity(schema_name, properties, expected):
    assert caption(schema_name, properties) == expected


def test_caption_of_unknown_schema_raises():
    with pytest.raises(UnknownSchema):
        caption("Ship", {"name": ["Ocean Star"]})


# --- the registry --------------------------------------------------------------------------------

EDGES = {
    "Ownership": ("owner", "asset"),
    "Directorship": ("director", "organization"),
    "Representation": ("agent", "client"),
    "Family": ("person", "relative"),
    "Associate": ("person", "associate"),
    "Employment": ("employee", "employer"),
    "Membership": ("member", "organization"),
    "Payment": ("payer", "beneficiary"),
    "UnknownLink": ("subject", "object"),
}


@pytest.mark.parametrize(("relation", "endpoints"), sorted(EDGES.items()))
def test_relation_endpoints_point_as_ftm_draws_the_edge(relation, endpoints):
    assert relation_endpoints(relation) == endpoints


def test_only_family_associate_and_unknown_link_are_undirected():
    undirected = {info.name for info in schemata(Kind.RELATION) if not info.edge.directed}
    assert undirected == {"Family", "Associate", "UnknownLink"}  # as FtM declares them


@pytest.mark.parametrize("relation", sorted(RELATION_SCHEMATA))
def test_every_relation_endpoint_is_a_required_entity_property(relation):
    info = get_schema(relation)
    for end in relation_endpoints(relation):
        prop = info.prop(end)
        assert prop.type == "entity"
        assert prop.range is not None
        assert end in info.required


@pytest.mark.parametrize("name", ["Vessel", "Address", "Sanction"])
def test_relation_endpoints_of_a_non_relation_raise(name):
    with pytest.raises(NotARelation):
        relation_endpoints(name)


def test_relation_endpoints_of_an_unknown_schema_raise_a_key_error():
    with pytest.raises(KeyError):
        relation_endpoints("Ship")


@pytest.mark.parametrize(
    ("name", "extends", "ancestors"),
    [
        (
            "Company",
            ("Organization", "Asset"),
            ("Organization", "LegalEntity", "Thing", "Asset", "Value"),
        ),
        ("Vessel", ("Vehicle",), ("Vehicle", "Asset", "Thing", "Value")),
        ("Airplane", ("Vehicle",), ("Vehicle", "Asset", "Thing", "Value")),
        ("Person", ("LegalEntity",), ("LegalEntity", "Thing")),
        ("CryptoWallet", ("Thing", "Value"), ("Thing", "Value")),
        ("Payment", ("Interval", "Value"), ("Interval", "Value")),
        ("Ownership", ("Interest",), ("Interest", "Interval")),
        ("Family", ("Interval",), ("Interval",)),
    ],
)
def test_parents_are_as_ftm_has_them(name, extends, ancestors):
    info = get_schema(name)
    assert info.extends == extends
    assert info.ancestors == ancestors


def test_kind_constants_agree_with_the_registry():
    by_kind = {kind: {info.name for info in schemata(kind)} for kind in Kind}
    assert by_kind[Kind.PARTY] == PARTY_SCHEMATA
    assert by_kind[Kind.ASSET] == ASSET_SCHEMATA
    assert by_kind[Kind.PLACE] == PLACE_SCHEMATA
    assert by_kind[Kind.RELATION] == RELATION_SCHEMATA
    assert by_kind[Kind.OTHER] == OTHER_SCHEMATA
    assert "Company" not in ASSET_SCHEMATA


@pytest.mark.parametrize("name", NATIVE)
def test_every_property_is_declared_where_ftm_declares_it(name):
    info = get_schema(name)
    known = set(NATIVE) | FTM_ABSTRACT
    assert set(info.ancestors) <= known
    for prop_name, prop in info.properties.items():
        assert prop.name == prop_name
        assert re.fullmatch(r"[a-z][a-zA-Z0-9]*", prop_name), prop_name
        assert prop.schema in (name, *info.ancestors), prop.qname
        assert prop.type in FTM_TYPES, prop.qname
        assert (prop.range is not None) == (prop.type == "entity"), prop.qname
        assert prop.label
        if prop.scope is not None:
            assert prop.strong and prop.scope in info.properties
    for prop_name in (*info.caption, *info.required, *info.owner_properties):
        assert prop_name in info.properties, prop_name


@pytest.mark.parametrize(
    ("name", "strong"),
    [
        ("Vessel", {"imoNumber"}),
        ("BankAccount", {"iban"}),
        ("Security", {"isin", "figiCode"}),
        ("CryptoWallet", {"publicKey"}),
        ("Vehicle", {"vin"}),
        ("Company", {"registrationNumber", "leiCode"}),
        ("Organization", {"registrationNumber", "leiCode"}),
        ("LegalEntity", {"registrationNumber", "leiCode"}),
        ("Person", set()),
        ("Airplane", set()),
        ("RealEstate", set()),
        ("Address", set()),
        ("Asset", set()),
    ],
)
def test_strong_identifiers_are_the_documented_ones(name, strong):
    assert set(get_schema(name).strong_identifiers) == strong


def test_registration_number_is_strong_only_with_its_jurisdiction():
    assert get_schema("Company").prop("registrationNumber").scope == "jurisdiction"
    assert not get_schema("Vehicle").prop("registrationNumber").strong


def test_vin_is_the_only_local_property_and_ftm_properties_are_not_local():
    local = {info.prop(name).qname for info in schemata() for name in info.local_properties}
    assert local == {"Vehicle:vin"}
    assert "vin" not in get_schema("Vessel").properties


@pytest.mark.parametrize(
    ("name", "owners"),
    [
        ("CryptoWallet", ("holder",)),
        ("Vehicle", ("owner",)),
        ("Vessel", ("owner",)),
        ("Airplane", ("owner",)),
        ("RealEstate", ()),
    ],
)
def test_holder_and_vehicle_owner_are_ownership_with_unknown_share(name, owners):
    info = get_schema(name)
    assert info.owner_properties == owners
    for prop in owners:
        assert info.prop(prop).range == "LegalEntity"


def test_vehicle_owner_is_deprecated_in_ftm_but_kept():
    assert get_schema("Vessel").prop("owner").deprecated
    assert get_schema("Vessel").prop("owner").qname == "Vehicle:owner"


def test_inherited_properties_name_their_ftm_schema():
    company = get_schema("Company")
    assert company.prop("jurisdiction").qname == "LegalEntity:jurisdiction"
    assert company.prop("name").qname == "Thing:name"
    assert get_schema("Payment").prop("amountEur").qname == "Value:amountEur"
    assert get_schema("Ownership").prop("role").qname == "Interest:role"
    assert get_schema("Address").prop("country").qname == "Thing:country"


@pytest.mark.parametrize(
    ("name", "asset", "marked"),
    [
        ("RealEstate", True, True),
        ("Vessel", True, True),
        ("Vehicle", True, True),
        ("Airplane", True, True),
        ("BankAccount", True, True),
        ("Security", True, True),
        ("CryptoWallet", True, True),
        ("Asset", True, True),
        ("Company", False, True),
        ("Organization", False, False),
        ("Person", False, False),
        ("Ownership", False, False),
        ("Ship", False, False),
    ],
)
def test_company_is_an_asset_only_when_marked(name, asset, marked):
    assert is_asset_schema(name) is asset
    assert is_asset_schema(name, marked_as_asset=True) is marked


@pytest.mark.parametrize(
    ("name", "party", "relation", "native"),
    [
        ("Person", True, False, True),
        ("Company", True, False, True),
        ("LegalEntity", True, False, True),
        ("Address", False, False, True),
        ("Payment", False, True, True),
        ("Sanction", False, False, False),
        ("Ship", False, False, False),
    ],
)
def test_kind_predicates(name, party, relation, native):
    assert is_party_schema(name) is party
    assert is_relation_schema(name) is relation
    assert is_native_schema(name) is native


def test_unknown_schema_and_property_are_key_errors_with_plain_messages():
    with pytest.raises(KeyError) as caught:
        get_schema("Ship")
    assert str(caught.value) == "unknown schema 'Ship'"
    with pytest.raises(UnknownProperty) as caught:
        validate_property("Vessel", "wingspan", "30")
    assert isinstance(caught.value, KeyError)
    assert str(caught.value) == "Vessel has no property 'wingspan' in assettrack"
    with pytest.raises(UnknownProperty):
        validate_property("Sanction", "program", "EU")


@pytest.mark.parametrize(
    "error",
    [
        UnknownSchema("Ship"),
        UnknownProperty("Vessel", "wingspan"),
        NotARelation("Vessel"),
        InvalidValue("iban", "IBAN NL91ABNA0417164301: the check digits are wrong"),
    ],
)
def test_errors_survive_a_round_trip_through_reduce(error):
    # deepcopy goes through __reduce__ as pickle does (job queues pickle exceptions).
    copy = copy_module.deepcopy(error)
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert isinstance(copy, schema.SchemaError)


# --- identity keys and export --------------------------------------------------------------------


def test_same_lei_on_company_and_legal_entity_gives_the_same_key():
    company = identity_keys("Company", {"leiCode": "529900T8BM49AURSDO55"})
    entity = identity_keys("LegalEntity", {"leiCode": "5299 00t8 bm49 aurs do55"})
    assert company == entity == {("leiCode", "529900T8BM49AURSDO55")}


def test_registration_number_key_needs_the_jurisdiction_and_ignores_punctuation():
    first = identity_keys("Company", {"registrationNumber": "HRB 12345 B", "jurisdiction": "DE"})
    second = identity_keys("Company", {"registrationNumber": "hrb-12345-b", "jurisdiction": "de"})
    assert first == second == {("registrationNumber", "de", "HRB12345B")}
    assert identity_keys("Company", {"registrationNumber": "HRB 12345 B"}) == set()
    assert identity_keys("Company", {"registrationNumber": "HRB 12345 B", "country": "de"}) == set()


def test_invalid_values_and_markers_give_no_key():
    assert identity_keys("BankAccount", {"iban": ["NL91ABNA0417164301", "unknown"]}) == set()
    assert identity_keys("Vessel", {"imoNumber": "IMO 9074729", "mmsi": "244123456"}) == {
        ("imoNumber", "9074729")
    }


def test_ethereum_style_addresses_meet_whatever_their_case():
    upper = identity_keys(
        "CryptoWallet", {"publicKey": "0x52908400098527886E0F7030069857D2E4169EE7"}
    )
    lower = identity_keys(
        "CryptoWallet", {"publicKey": "0x52908400098527886e0f7030069857d2e4169ee7"}
    )
    assert upper == lower


def test_export_moves_local_properties_and_markers_out_of_ftm_properties():
    clean = validate_properties(
        "Vehicle",
        {
            "registrationNumber": "GE 123 AB",
            "vin": "WVWZZZ1JZXW000001",
            "buildDate": "unknown",
            "registrationDate": "n/a",
        },
    ).properties
    ftm, extension = export_properties("Vehicle", clean)
    assert ftm == {"registrationNumber": ["GE 123 AB"]}
    assert extension == {
        "properties": {"vin": ["WVWZZZ1JZXW000001"]},
        "unknown": ["buildDate"],
        "not_applicable": ["registrationDate"],
    }
    line = json.dumps(
        {"id": "v1", "schema": "Vehicle", "properties": ftm, EXTENSION_KEY: extension}
    )
    read = json.loads(line)
    assert import_properties("Vehicle", read["properties"], read.get(EXTENSION_KEY)) == clean


def test_export_of_an_entity_without_local_values_has_no_extension():
    ftm, extension = export_properties("Person", {"name": ["Anna Rossi"], "nationality": ["it"]})
    assert ftm == {"name": ["Anna Rossi"], "nationality": ["it"]}
    assert extension == {}


def test_import_does_not_let_a_marker_hide_a_value():
    merged = import_properties("Person", {"birthDate": ["1970"]}, {"unknown": ["birthDate"]})
    assert merged == {"birthDate": ["1970"]}


# --- purity --------------------------------------------------------------------------------------


def test_module_is_pure_the_libraries_money_and_msg_only():
    tree = ast.parse(Path(schema.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                assert node.module in ("money", "..errors", "errors"), "pure modules only (Msg)"
                continue
            imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) == {"stdnum", "followthemoney"}


def test_every_overlay_key_is_a_property_followthemoney_declares():
    from followthemoney import model

    for qname in schema.OVERLAY:
        schema_name, prop = qname.split(":")
        declared = model.get(schema_name).get(prop)
        assert declared is not None and declared.qname == qname, qname
