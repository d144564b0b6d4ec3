"""Which scans a keyword's search statement runs (no database: the SQL text only)."""

from __future__ import annotations

import pytest

from services.chassis.errors import InvalidArgument
from services.customer.adapters.search_queries import (
    SearchPlan,
    build_search,
    initials_grams,
    rarest,
)
from services.customer.domain.rules import CustomerRules
from services.customer.service_layer.search_plan import Planner, plan_for

RULES = CustomerRules()


def sql_for(keyword: str, after: list[object] | None = None) -> str:
    sql, _ = build_search(plan_for(keyword, RULES), include_leads=True, limit=21, after=after)
    return sql


def test_phone_and_credit_code_keywords_run_no_name_scan() -> None:
    assert "search_grams" not in sql_for("138-0000-0003")
    assert plan_for("13800000003", RULES) == SearchPlan(phones=("13800000003",))
    assert "search_grams" not in sql_for("91320282MA1W2X3Y00")


def test_two_characters_read_one_gram_without_recheck() -> None:
    sql = sql_for("春意")
    assert sql.count("FROM search_grams") == 2 and "strpos" not in sql


def test_the_rarest_gram_drives_a_longer_keyword() -> None:
    common = {"空调": 0.01, "意空": 0.0001}
    assert rarest(("春意", "意空", "空调"), common) == ["春意", "意空", "空调"]
    assert rarest(("空调", "调春"), common) == ["调春", "空调"]
    _, args = build_search(plan_for("意空调", RULES), include_leads=True, limit=21,
                           after=None, frequency=common)
    assert "空调" not in args and {"^意空", "意空"} <= set(args)


def test_pinyin_grams_are_the_keyword_up_to_a_trigram() -> None:
    assert initials_grams("cy") == ("~cy",)
    assert initials_grams("cyk") == ("~cyk",)
    assert initials_grams("cykcyk") == ("~cyk", "~ykc", "~kcy")


def test_a_later_page_skips_the_ranks_already_passed() -> None:
    first = sql_for("cy")
    later = sql_for("cy", after=[3, 4, "春意空调", 1, "018f0000-0000-7000-8000-000000000001"])
    assert first.count("FROM search_grams") == 3
    assert later.count("FROM search_grams") == 1 and "3 AS rank" in later


def test_two_characters_sort_their_page_once() -> None:
    sql = sql_for("春意")
    assert " e AS " not in sql and sql.count("ORDER BY") == 3  # two scans and the page
    assert " e AS " in sql_for("cykt")  # pinyin waits for the name matches' page


def test_the_planner_keeps_recent_plans_and_still_refuses_bad_keywords() -> None:
    planner = Planner(RULES, size=2)
    assert planner("春意") is planner("春意") == plan_for("春意", RULES)
    for bad in ("", "x" * 101):
        with pytest.raises(InvalidArgument):
            planner(bad)
