"""Every property-value error of the schema reaches a French user in French (#11).

Two walks: every message ``domain/schema.py`` declares (read from its source, so a new check
cannot slip through), and every error ``validate_properties`` actually gives for bad values of
every kind, on every property of every schema assettrack checks.
"""

import ast
from pathlib import Path

from flask_babel import force_locale
from flask_babel import gettext

from assettrack.domain import schema
from assettrack.errors import Msg
from assettrack.web import translate

# Bad values for each check kind: each branch of each check (length, alphabet, check digits,
# country, ranges...), and values every kind refuses.
BAD = {
    "iban": [
        "NL91-ABNA-0417-1643-0#",
        "N1",
        "XX91ABNA0417164300",
        "NL91ABNA041716430",
        "NL91ABNA0417164301",
        "NL91ABN10417164300",
        "ES9121000418450200051331",
    ],
    "bic": ["ABNANL2", "ABNAXX2A", "1BNANL2A"],
    "imo": ["IMO 9074728", "IMO 907472", "IMO 90747A9"],
    "mmsi": ["24400a000", "2440001", "144000100"],
    "isin": ["US0378331006", "US03783310", "XX0378331005", "U$0378331005"],
    "lei": ["529900T8BM49AURSDO5", "529900T8BM49AURSDOAB", "529900T8BM49AURSDO56"],
    "figi": ["BBG000BLNNH7", "BBG000BLNN", "BBA000BLNNH6"],
    "vin": ["WVWZZZ1JZ3W38625", "WVWZZZ1JZ3W38625!", "WVWZZZ1JZ3W38625O"],
    "crypto_address": ["short", "0x12", "1BoatSLRHtKNngkdXEeobR76b53LETtpyX", "bc1notvalid"],
    "currency": ["EURO"],
    "crypto_currency": ["B"],
    "percentage": ["120", "-1", "50-25", "12,5", "lots"],
    "decimal": ["1,5", "abc", "-1", "1e999999"],
    "number": ["1,5", "abc", "-1"],
    "country": ["Atlantis"],
    "date": ["31/12/2020", "0000", "2020-13", "2021-02-30", "2020-01-01T25:00"],
    "email": ["not-an-address"],
    "url": ["ftp://example.org"],
    "phone": ["call me"],
    "entity": ["not an id!"],
}
EVERY_KIND = [25.5, True, {"nested": 1}, "bad\x00value", "x" * 5000, ["unknown", "n/a"], "n/a"]
# "n/a" alone is refused by a property that takes no markers.


def _schema_messages():
    """Every msgid written as ``Msg("...")`` in domain/schema.py."""
    tree = ast.parse(Path(schema.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "Msg"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            yield node.args[0].value


def _errors():
    """Yield ``(where, message)`` for every error of every bad value on every property."""
    for info in schema.schemata():
        if info.kind is schema.Kind.OTHER:
            continue
        yield from (
            (f"{info.name}/{prop}", message)
            for prop, message in schema.validate_properties(info.name, {}).errors.items()
        )
        for prop, spec in info.properties.items():
            kind = spec.format or spec.type
            for value in [*BAD.get(kind, ()), *EVERY_KIND]:
                checked = schema.validate_properties(info.name, {prop: value}, partial=True)
                if prop in checked.errors:
                    yield f"{info.name}/{prop}={value!r:.30}", checked.errors[prop]
    for start, end in (("2020-05", "2019"), ("2020", "2019-12-31")):  # an end before the start
        checked = schema.validate_properties(
            "Ownership", {"startDate": start, "endDate": end}, partial=True
        )
        yield "Ownership/endDate", checked.errors["endDate"]
    yield "not a name", schema.validate_properties("Person", {3: "x"}, partial=True).errors["3"]


def _english_inside(message):
    """The English parts of a message (itself or a message in its parameters) left in French."""
    if not isinstance(message, Msg):
        return [str(message)]
    found = [] if gettext(message.msgid) != message.msgid else [message.msgid]
    for value in message.params.values():
        if isinstance(value, Msg):
            found += _english_inside(value)
    return found


def test_every_message_the_schema_declares_has_french(app):
    messages = sorted(set(_schema_messages()))
    assert len(messages) > 50
    with app.test_request_context(), force_locale("fr"):
        english = [m for m in messages if gettext(m) == m]
    assert english == []


def test_every_property_error_reaches_a_french_user_in_french(app):
    errors = list(_errors())
    kinds = {where.split("=")[0].split("/")[-1] for where, _m in errors}
    assert len(errors) > 500 and len(kinds) > 100
    msgids = {m.msgid for _w, m in errors if isinstance(m, Msg)}
    for nested in (p for _w, m in errors if isinstance(m, Msg) for p in m.params.values()):
        if isinstance(nested, Msg):
            msgids.add(nested.msgid)
    assert len(msgids) > 40, "the bad values reach the checks' messages"
    with app.test_request_context(), force_locale("fr"):
        english = {where: _english_inside(m) for where, m in errors if _english_inside(m)}
        shown = translate(
            schema.validate_properties("Vessel", {"imoNumber": "IMO 9074728"}).errors["imoNumber"]
        )
    assert english == {}
    assert shown == "Numéro OMI 9074728 : le chiffre de contrôle est faux" or shown.startswith(
        "IMO 9074728 : le chiffre de contrôle est faux"
    ), shown
