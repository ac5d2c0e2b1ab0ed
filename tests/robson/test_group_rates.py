"""Groups 1, 2 and 5's caesarean section rates, month by month, as XmR charts on the trust's
measures page: group 2 whole or as 2a and 2b together, months without women in a group left out,
the limits starting again at a change the trust marked."""

from __future__ import annotations

import re
from datetime import date

from flask import Flask

from portal.measures.service import mark_change
from portal.robson.service import GroupRate, group_rates, record_month
from tests.client import PortalClient
from tests.factories import make_trust, make_user
from tests.robson.test_routes import COUNTS  # 2a: 60 women, 18 CS; 2b: 20 women, 20 CS

WHOLE = {code: value for code, value in COUNTS.items() if code not in ("2a", "2b", "4a", "4b")}
WHOLE |= {"2": (80, 38), "4": (35, 15)}


def month(n: int) -> date:
    return date(2025 + (n - 1) // 12, (n - 1) % 12 + 1, 1)


def test_group_2_is_one_rate_whether_a_month_gives_it_whole_or_split(app: Flask) -> None:
    trust = make_trust()
    record_month(trust, month(1), COUNTS, actor=None)
    record_month(trust, month(2), WHOLE, actor=None)

    series = group_rates(trust)[GroupRate("2")]

    assert [(m.month, m.numerator, m.denominator) for m in series.months] == [
        (month(1), 38, 80),
        (month(2), 38, 80),
    ]


def test_a_month_without_women_in_a_group_has_no_rate_for_it(app: Flask) -> None:
    trust = make_trust()
    record_month(trust, month(1), COUNTS, actor=None)
    record_month(trust, month(2), {**COUNTS, "5": (0, 0), "10": (78, 35)}, actor=None)

    rates = group_rates(trust)

    assert [m.month for m in rates[GroupRate("5")].months] == [month(1)]
    assert [m.month for m in rates[GroupRate("1")].months] == [month(1), month(2)]


def test_the_limits_start_again_at_a_change_the_trust_marked(app: Flask) -> None:
    trust = make_trust()
    for n in range(1, 21):
        caesareans = 15 if n <= 10 else 5  # group 1's rate falls from 10% to 3.3%
        record_month(trust, month(n), {**COUNTS, "1": (150, caesareans)}, actor=None)
    mark_change(trust, month(11), "Midwife-led triage", actor=None)

    chart = group_rates(trust)[GroupRate("1")].chart

    assert len(chart.segments) == 2
    assert [round(segment.mean, 2) for segment in chart.segments] == [10.0, 3.33]


def test_the_measures_page_charts_groups_1_2_and_5(app: Flask, client: PortalClient) -> None:
    trust = make_trust()
    for n in range(1, 4):
        record_month(trust, month(n), COUNTS, actor=None)
    client.sign_in(make_user("trust", "staff@nhs.example", trust=trust))

    page = client.get("/trusts/RT1/measures").get_data(as_text=True)

    assert re.findall(r'<h2 id="(measure-robson-\d)">', page) == [
        "measure-robson-1",
        "measure-robson-2",
        "measure-robson-5",
    ]
    summaries = re.findall(r'<p class="portal-measure-summary">(Robson[^<]*)</p>', page)
    assert summaries == [
        "Robson group 1 caesarean section rate: 10.0% in March 2025; common cause variation.",
        "Robson group 2 caesarean section rate: 47.5% in March 2025; common cause variation.",
        "Robson group 5 caesarean section rate: 70.0% in March 2025; common cause variation.",
    ]
    group_2 = page[page.find('id="measure-robson-2"') :]
    assert "groups 2a and 2b together" in group_2
    assert "38 of 80" in group_2.split("</section>")[0]


def test_the_measures_page_says_when_there_are_no_robson_counts(
    app: Flask, client: PortalClient
) -> None:
    trust = make_trust()
    client.sign_in(make_user("trust", "staff@nhs.example", trust=trust))

    page = client.get("/trusts/RT1/measures").get_data(as_text=True)

    assert "measure-robson-1" not in page
    assert "No Robson counts yet." in page
    assert 'href="/trusts/RT1/robson/months/new"' in page
