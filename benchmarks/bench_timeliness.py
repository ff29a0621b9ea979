"""Speed of the timeliness engine: ``assess`` over generated dossiers against a bare ``numpy.busday_offset``.

    python benchmarks/bench_timeliness.py [--rows 1000000] [--repeat 5]

Generates (fixed seed) a district's dossiers: 40 communes, 3 with Saturday-morning reception and one with a
provincial day off of its own; 200 procedures, a third same-day; receipts over 2024-2025 mostly in office
hours, some online at night or at weekends; supplements (pause and restart), unreturned dossiers, apology
letters. Prints the best seconds of ``assess`` and of ``numpy.busday_offset(received day, legal days)``
over the same rows with the same holidays, and their ratio (goal: at most 4, issue #19).
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from timing import best_of_each

from isoaudit.calendar import WorkCalendar
from isoaudit.timeliness import assess

SEED = 20250426


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    procedures = generated_procedures()
    dossiers = generated_dossiers(args.rows, procedures)
    calendar = (WorkCalendar.vietnam(years=range(2023, 2027))
                .with_saturday_reception(["00101", "00102", "00103"])
                .with_days_off(["15/05/2025"], unit_code="00104"))

    legal = procedures.set_index("procedure_code")["legal_days"].reindex(dossiers["procedure_code"]).to_numpy(
        dtype=np.int64)
    received_days = dossiers["received_at"].to_numpy().astype("datetime64[D]")
    holidays = np.array(sorted(_vn_days_off()), dtype="datetime64[D]")
    busdaycal = np.busdaycalendar(weekmask="1111100", holidays=holidays)

    # Interleaved, best of each: both see the same machine load.
    bare, ours = best_of_each(
        lambda: np.busday_offset(received_days, legal, roll="forward", busdaycal=busdaycal),
        lambda: assess(dossiers, procedures, calendar, as_of="31/12/2025"),
        repeat=args.repeat,
    )
    result = assess(dossiers, procedures, calendar, as_of="31/12/2025")
    print(f"rows: {len(dossiers):,}")
    print("statuses: " + ", ".join(f"{k} {v:,}" for k, v in result["status"].value_counts().items()))
    print(f"bare numpy.busday_offset {bare:8.3f} s")
    print(f"timeliness.assess        {ours:8.3f} s   ratio {ours / bare:5.2f}  (goal <= 4)")


def generated_procedures(count: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    legal = rng.choice([0, 1, 3, 5, 7, 10, 15, 20, 30], size=count, p=[.33, .05, .17, .12, .08, .1, .07, .05, .03])
    return pd.DataFrame({
        "procedure_code": pd.array([f"{1 + i % 2}.{i:06d}" for i in range(count)], dtype="string"),
        "procedure_name": pd.array([f"Thủ tục {i}" for i in range(count)], dtype="string"),
        "field": pd.array([["Hộ tịch", "Chứng thực", "Đất đai", "Xây dựng", "Bảo trợ xã hội"][i % 5]
                           for i in range(count)], dtype="string"),
        "legal_days": pd.array(legal, dtype="Int64"),
        "cutoff_time": pd.array([None if i % 7 else "16:00" for i in range(count)], dtype="string"),
        "supplement_rule": pd.array([None if i % 4 else "restart" for i in range(count)], dtype="string"),
    })


def generated_dossiers(rows: int, procedures: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    units = np.array([f"{101 + i:05d}" for i in range(40)], dtype=object)
    procedure = rng.integers(0, len(procedures), rows)
    legal = procedures["legal_days"].to_numpy(dtype=np.int64)[procedure]
    day = np.datetime64("2024-01-01") + rng.integers(0, 730, rows).astype("timedelta64[D]")
    online = rng.random(rows) < 0.15
    minutes = np.where(online, rng.integers(0, 1440, rows), rng.integers(7 * 60 + 30, 17 * 60, rows))
    received = day.astype("datetime64[m]") + minutes.astype("timedelta64[m]")
    # Calendar days taken: mostly within the legal time, about 7 % beyond it (as district reports show);
    # 3 % still open.
    late = rng.random(rows) < 0.07
    spent = np.where(late, legal * 7 // 5 + rng.integers(1, 8, rows), np.floor(legal * rng.uniform(0.3, 1.0, rows)))
    returned = received.astype("datetime64[D]") + spent.astype("timedelta64[D]")
    returned = np.where(rng.random(rows) < 0.03, np.datetime64("NaT"), returned)
    asked = rng.random(rows) < 0.08
    requested = np.where(asked, received + rng.integers(60, 3 * 1440, rows).astype("timedelta64[m]"),
                         np.datetime64("NaT"))
    supplied = np.where(asked & (rng.random(rows) < 0.9),
                        requested + rng.integers(1440, 10 * 1440, rows).astype("timedelta64[m]"), np.datetime64("NaT"))
    appointment = received.astype("datetime64[D]") + (legal * 7 // 5 + 1).astype("timedelta64[D]")
    apology = np.where(rng.random(rows) < 0.03, appointment - 1, np.datetime64("NaT"))
    frame = pd.DataFrame({
        "dossier_id": pd.array(np.char.add("HS-", np.arange(rows).astype(str)), dtype="string"),
        "unit_code": pd.array(units[rng.integers(0, len(units), rows)], dtype="string"),
        "procedure_code": procedures["procedure_code"].to_numpy()[procedure],
        "received_at": received.astype("datetime64[us]"),
        "due_date": appointment.astype("datetime64[us]"),
        "returned_date": returned.astype("datetime64[us]"),
        "channel": pd.array(np.where(online, "online", "counter"), dtype="string"),
        "supplement_requested_at": requested.astype("datetime64[us]"),
        "supplement_received_at": supplied.astype("datetime64[us]"),
        "apology_date": apology.astype("datetime64[us]"),
        "new_due_date": np.where(np.isnat(apology), np.datetime64("NaT"), appointment + 5).astype("datetime64[us]"),
    })
    frame["procedure_code"] = frame["procedure_code"].astype("string")
    return frame


def _vn_days_off() -> set:
    import holidays

    return set(holidays.country_holidays("VN", years=range(2023, 2027)).keys())


if __name__ == "__main__":
    main()
