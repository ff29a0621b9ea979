"""Fictional people of the sample province: citizens and companies who apply, one-stop officers, names of
anyone else (names weighted by ``synthetic_names.csv``, addresses and numbers drawn)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from isoaudit.synthetic.units import UnitProfile
from isoaudit.synthetic.words import dossier_words, fill, name_parts

# Vietnamese mobile prefixes.
_PHONE_PREFIXES = np.array(["032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097", "098",
                            "091", "094", "088", "081", "082", "083", "084", "085", "070", "076", "077", "078",
                            "079", "089", "090", "093", "056", "058"])


def applicants(rng, n, unit, neighbours, fields) -> tuple[pd.Series, pd.Series]:
    """Fictional citizens (weighted Vietnamese surnames) or companies, with address and mobile number."""
    names = name_parts()
    words = dossier_words()["applicants"]
    male = rng.random(n) < 0.5

    def pick_part(kind: str) -> np.ndarray:
        return pick(rng, names[kind], n)

    person = _text(pick_part("surname")) + " " + _text(np.where(male, pick_part("middle_m"), pick_part("middle_f"))) \
        + " " + _text(np.where(male, pick_part("given_m"), pick_part("given_f")))
    company = rng.random(n) < np.where(fields == words["company_field"], 0.03, 0.0)
    firm = _text(rng.choice(words["companies"], n)) + _text(pick_part("company"))
    applicant = person.where(~company, firm)

    places = [u for u in neighbours if u.dossiers] or [unit]
    own = places.index(unit) if unit in places else 0
    home = np.where(rng.random(n) < 0.88, own, rng.integers(0, len(places), n))
    wards = np.array([u.level == "ward" for u in places])[home]
    place_names = _text(np.array([u.lower_name for u in places], dtype=object)[home])
    number = _text(rng.integers(1, 16, n).astype(str))
    street = fill(words["street"], house=_text(rng.integers(1, 250, n).astype(str)), street=_text(pick_part("street")))
    quarter = fill(words["quarter"], number=number).where(rng.random(n) < 0.5, street)
    address = fill(words["address"], home=quarter.where(wards, fill(words["hamlet"], number=number)),
                   place=place_names)
    phone = _text(_PHONE_PREFIXES[rng.integers(0, len(_PHONE_PREFIXES), n)]) \
        + _text(rng.integers(0, 10**7, n).astype(str)).str.zfill(7)
    return applicant, fill(words["contact"], address=address, phone=phone)


def officers(rng, n, unit: UnitProfile) -> pd.Categorical:
    """The unit's one-stop officers (fictional), the first of them receiving the most."""
    count = max(unit.officers, 1)
    male = rng.random(count) < 0.4
    people = []
    for m in male:
        name = person_name(rng, m)
        people.append(name if name not in people else f"{name} ({len(people) + 1})")
    share = np.linspace(2.0, 1.0, count)
    return pd.Categorical.from_codes(rng.choice(count, n, p=share / share.sum()), people)


def person_name(rng, male: bool) -> str:
    """One fictional full name: surname, middle name, given name."""
    names = name_parts()
    kinds = ("surname", "middle_m", "given_m") if male else ("surname", "middle_f", "given_f")
    return " ".join(pick(rng, names[kind], 1)[0] for kind in kinds)


def pick(rng, part: tuple[np.ndarray, np.ndarray], n: int) -> np.ndarray:
    """``n`` values of a name part, drawn by weight."""
    values, weights = part
    return values[rng.choice(len(values), n, p=weights)]


def _text(values) -> pd.Series:
    # Arrow-backed strings: a million names cost tens of MB, not the hundreds Python str objects would.
    return pd.Series(values, dtype="str")
