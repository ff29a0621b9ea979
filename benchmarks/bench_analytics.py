"""Speed of the audit analytics (#18 item 8): every test of ``analytics.run`` over one unit-year of judged
dossiers, against a bare ``numpy.busday_offset`` over the same rows.

    python benchmarks/bench_analytics.py [--rows 1000000] [--repeat 3]

The dossiers are those of ``bench_timeliness`` (fixed seed), given the codes one-stop software writes
(``000.00.14.H56-yymmdd-NNNN``, numbered per day), an officer, and judged once by ``timeliness.assess``
beforehand: the analytics' cost is what is timed, not the judging (``bench_timeliness`` times that). Prints the
best seconds of each test, of the whole set and of the bare pass, and the ratio (goal: at most 10).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_timeliness import _vn_days_off, generated_dossiers, generated_procedures  # noqa: E402
from timing import best_of, best_of_each  # noqa: E402

from isoaudit.analytics.run import TESTS, run_analytics  # noqa: E402
from isoaudit.calendar import WorkCalendar  # noqa: E402
from isoaudit.measures import UnitYear  # noqa: E402
from isoaudit.records.model import Records  # noqa: E402
from isoaudit.records.table import empty_frame  # noqa: E402
from isoaudit.timeliness import assess  # noqa: E402

YEAR = 2025


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    procedures = generated_procedures()
    dossiers = with_codes(generated_dossiers(args.rows, procedures))
    calendar = WorkCalendar.vietnam(years=range(2023, 2027))
    unit_year = judged_unit_year(dossiers, procedures, calendar)

    legal = procedures.set_index("procedure_code")["legal_days"].reindex(dossiers["procedure_code"]).to_numpy(
        dtype=np.int64)
    received_days = dossiers["received_at"].to_numpy().astype("datetime64[D]")
    busdaycal = np.busdaycalendar(weekmask="1111100", holidays=np.array(sorted(_vn_days_off()),
                                                                        dtype="datetime64[D]"))
    # The ratio's two sides in alternating rounds (``timing``); each test alone is shown for the record.
    bare, total = best_of_each(lambda: np.busday_offset(received_days, legal, roll="forward", busdaycal=busdaycal),
                               lambda: run_analytics(unit_year), repeat=args.repeat)
    print(f"rows: {len(dossiers):,} (of them received in {YEAR}: {len(unit_year.received):,})")
    print(f"bare numpy.busday_offset   {bare:8.3f} s")
    for module, run in TESTS:
        spent = best_of(lambda run=run: run(unit_year), args.repeat)
        print(f"{module.TEST:<26} {spent:8.3f} s   flagged {len(run(unit_year).flagged):,}   (alone)")
    print(f"all analytics (run_analytics) {total:8.3f} s   ratio {total / bare:6.1f}  (goal <= 10)")


def with_codes(frame: pd.DataFrame) -> pd.DataFrame:
    """The dossiers with the software's codes (agency prefix per unit, receipt day, number within the day) and
    an officer per unit."""
    frame = frame.sort_values("received_at", kind="stable", ignore_index=True)
    day = frame["received_at"].dt.strftime("%y%m%d")
    number = frame.groupby([frame["unit_code"], day]).cumcount() + 1
    prefix = "000.00." + frame["unit_code"].str[-2:] + ".H56-"
    frame["dossier_id"] = (prefix + day + "-" + number.astype(str).str.zfill(4)).astype("string")
    rng = np.random.default_rng(7)
    frame["officer"] = pd.array(frame["unit_code"] + "-" + pd.Series(rng.integers(1, 4, len(frame))).astype(str),
                                dtype="string")
    return frame


def judged_unit_year(dossiers: pd.DataFrame, procedures: pd.DataFrame, calendar: WorkCalendar) -> UnitYear:
    """The whole frame as one unit-year, judged once (``UnitYear`` takes the judged frame as given)."""
    frames = {kind: empty_frame(kind) for kind in ("units", "objectives", "surveys", "feedback", "decisions",
                                                   "findings")}
    dossiers = dossiers.assign(source_file="bench.csv", source_row=np.arange(len(dossiers)) + 2)
    records = Records(Path("."), frames["units"], procedures, dossiers, frames["objectives"], frames["surveys"],
                      frames["feedback"], frames["decisions"], frames["findings"],
                      empty_frame("dossiers").assign(reason=pd.Series([], dtype="string")), pd.DataFrame())
    judged = assess(dossiers, procedures, calendar, as_of=f"31/12/{YEAR}")
    judged["received_year"] = judged["received_at"].dt.year
    judged["month"] = judged["received_at"].dt.month
    return UnitYear(records, None, YEAR, as_of=f"31/12/{YEAR}", calendar=calendar, _assessed=judged)


if __name__ == "__main__":
    main()
