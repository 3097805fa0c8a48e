"""DAX name resolution (generator/semantic/names.py) over the IR of the repository's specs: any case, the
model's spelling back, DAX's order (column before measure for T[X], measure before the home table's column for
[X]) and the did-you-mean hint the messages use."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.semantic.names import ColumnName, MeasureName, Names, TableName, Unknown
from generator.semantic.spec import from_spec
from generator.spec.loader import load_model

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def names() -> Names:
    model = load_model(ROOT)
    built = Names.of_model(from_spec(model))
    assert built.tables == Names.of_spec(model).tables  # the specs and their IR name the same tables
    return built


def test_names_resolve_in_any_case_to_the_declared_spelling(names: Names) -> None:
    assert names.table("bi_date") == TableName("BI_Date")
    assert names.column("BI_DATE", "YEAR") == ColumnName("BI_Date", "year")
    assert names.measure("csat - happy %") == MeasureName("BI_SmileBack_Reviews", "CSAT - Happy %")


def test_a_qualified_name_is_a_column_then_a_measure_and_a_bare_one_a_measure_then_a_home_column(
        names: Names) -> None:
    assert names.reference("BI_Date", "year") == ColumnName("BI_Date", "year")
    assert names.reference("BI_Date", "CSAT - Happy %") == MeasureName("BI_SmileBack_Reviews", "CSAT - Happy %")
    assert names.reference(None, "csat - happy %") == MeasureName("BI_SmileBack_Reviews", "CSAT - Happy %")
    assert names.reference(None, "Rating", home="bi_smileback_reviews") == ColumnName("BI_SmileBack_Reviews",
                                                                                        "rating")
    assert isinstance(names.reference(None, "rating"), Unknown)  # no home table: [rating] is no measure


def test_unknown_names_say_what_is_missing_and_suggest_the_closest(names: Names) -> None:
    table = names.reference("BI_Dat", "year")
    assert isinstance(table, Unknown) and table.what == "table" and table.hint() == "; did you mean 'BI_Date'?"
    column = names.column("bi_date", "yeer")
    assert isinstance(column, Unknown) and (column.what, column.table) == ("column", "BI_Date")
    assert column.hint(lambda c: f"[{c}]") == "; did you mean [year]?"
    measure = names.reference(None, "CSAT - Happy Pct")
    assert isinstance(measure, Unknown) and measure.hint() == "; did you mean 'CSAT - Happy %'?"
    assert names.column("BI_Date", "no such thing at all").hint() == ""  # type: ignore[union-attr]
