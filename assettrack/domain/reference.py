"""Reference data shipped with assettrack: the European port cities seeded as organisations.

Codes are UN/LOCODEs; time zones are IANA names; languages ISO 639-1. The contact address is
where hit/no-hit enquiries go (DOMAIN.md: "contact its liaison"); each city replaces it with its
real liaison desk after installation (``assettrack org add`` / the admin page).
"""

__all__ = ["PORT_CITIES"]

# (code, name, country, timezone, language)
PORT_CITIES = (
    ("NLRTM", "Rotterdam", "NL", "Europe/Amsterdam", "nl"),
    ("NLAMS", "Amsterdam", "NL", "Europe/Amsterdam", "nl"),
    ("BEANR", "Antwerp", "BE", "Europe/Brussels", "nl"),
    ("DEHAM", "Hamburg", "DE", "Europe/Berlin", "de"),
    ("DEBRV", "Bremerhaven", "DE", "Europe/Berlin", "de"),
    ("FRLEH", "Le Havre", "FR", "Europe/Paris", "fr"),
    ("FRMRS", "Marseille", "FR", "Europe/Paris", "fr"),
    ("ESALG", "Algeciras", "ES", "Europe/Madrid", "es"),
    ("ESVLC", "Valencia", "ES", "Europe/Madrid", "es"),
    ("ESBCN", "Barcelona", "ES", "Europe/Madrid", "es"),
    ("ITGOA", "Genoa", "IT", "Europe/Rome", "it"),
    ("ITGIT", "Gioia Tauro", "IT", "Europe/Rome", "it"),
    ("ITTRS", "Trieste", "IT", "Europe/Rome", "it"),
    ("GRPIR", "Piraeus", "GR", "Europe/Athens", "el"),
    ("PLGDN", "Gdańsk", "PL", "Europe/Warsaw", "pl"),
    ("ROCND", "Constanța", "RO", "Europe/Bucharest", "ro"),
    ("PTLIS", "Lisbon", "PT", "Europe/Lisbon", "pt"),
    ("SIKOP", "Koper", "SI", "Europe/Ljubljana", "sl"),
)


def contact_address(code: str) -> str:
    """Return the default liaison address of an organisation, until the city sets its own."""
    return f"liaison.{code.lower()}@assettrack.invalid"
