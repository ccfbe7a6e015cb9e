"""Cheshire East's first year of its Day Opportunities FPS, replayed through
the REST API on its real dates (tests/replay/plan.py), gives the figures
the council reported: 18 providers contracted over two rounds, 14, 12 and 8
on lots 1, 2 and 3, 5 awaiting onboarding, 9 of the 18 new to the
authority, 46 sourcing requests and 15 packages live (9 building-based, 6
of them for dementia, 2 community, 4 employment, skills and training).

Set-up, outside the API's reach: the authority, its staff, providers'
registration on the regional catalogue and their evidence, verified by the
council's officer. Replayed through the API, each by its own people with
their own API tokens: the earlier provider list (why 9 providers were not
new), the agreement, its lots, rounds and questionnaire, opening and going
live, every application, evaluation, moderation and decision, onboarding and
activation, every sourcing request, bid, evaluation, award, withdrawal,
republication and go-live. Deadlines close as the scheduler closes them
(calloffs.packages_close_due), after travelling past them."""

from __future__ import annotations

import io
import time
from collections import defaultdict
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from accounts.roles import AuthorityRole
from tests import support
from tests.replay import plan
from tests.replay.support import Api, Calls, Timeline, at, close_due, council, evidence, register
from tests.shared_catalogue import support as catalogue

pytestmark = pytest.mark.django_db
FROM, TO = plan.YEAR
BID_CONTENT = {"hourly_rate": "21.00", "hours_per_week": "20", "breakdown": "Two days at the centre with transport",
               "outcomes_response": "A named key worker; a weekly plan agreed with the person.",
               "social_value": "Local staff and volunteers"}


class Replay:
    """The council, its people and the providers, each with an API client."""

    def __init__(self, time_machine):
        self.timeline = Timeline(time_machine)
        self.calls = Calls()
        self.timeline.travel(at(plan.EARLIER["starts_on"], 9))
        self.authority = council()
        self.base = f"/a/{self.authority.slug}/api/v1/"

        def staff(role, name):
            return Api(support.make_staff(self.authority, role, full_name=name), self.base, self.calls)

        self.lead = staff(AuthorityRole.COMMISSIONER, "Commissioning Manager")
        self.evaluator = staff(AuthorityRole.EVALUATOR, "Evaluator")
        self.broker = staff(AuthorityRole.BROKER, "Brokerage Officer")
        self.officer = support.make_staff(self.authority, AuthorityRole.QUALITY_OFFICER, full_name="Quality Officer")
        self.providers = {}      # name -> (Provider, Api)
        self.fps = {}            # ids of the FPS: agreement, lots (number -> id), questions (key -> (id, lot))
        self.active = defaultdict(list)   # lot number -> provider names active on it, in order
        self.people = self.turn = 0
        self.started = time.perf_counter()

    def provider(self, name):
        if name not in self.providers:
            made = register(name)
            self.providers[name] = (made, Api(catalogue.admin_of(made), self.base, self.calls))
        return self.providers[name]

    # --- Stage 1 ---------------------------------------------------------------------

    def agreement(self, *, title, reference, starts_on, ends_on, lots, rounds, questions, threshold,
                  checklist=None):
        self.calls.step = "agreements"
        body = {"kind": "fps", "title": title, "reference": reference, "service_area": "Day opportunities for adults",
                "starts_on": str(starts_on), "ends_on": str(ends_on), "estimated_value": "15000000.00"}
        if checklist is not None:
            body["onboarding_checklist"] = checklist
        agreement = self.lead.post("agreements/", body)["id"]
        url = f"agreements/{agreement}/"
        lot_ids = {}
        for number, name, service_type in lots:
            lot_ids[number] = self.lead.post(f"{url}lots/", {"number": number, "title": name,
                                                             "service_type": service_type})["id"]
        for opens_on, closes_on in rounds:
            self.lead.post(f"{url}rounds/", {"opens_on": str(opens_on), "closes_on": str(closes_on)})
        version = f"{url}questionnaire/versions/{self.lead.post(f'{url}questionnaire/versions/')['id']}/"
        self.lead.patch(version, {"pass_threshold": str(threshold)})
        asked = {}
        for key, question in questions.items():
            asked[key] = (self.lead.post(f"{version}questions/", question)["id"], question.get("lot"),
                          question["kind"])
        self.lead.post(f"{version}publish/")
        return {"agreement": agreement, "lots": lot_ids, "questions": asked}

    def apply(self, fps, name, lots, complies=True):
        """The provider applies through its own account: start, answer, submit."""
        self.calls.step = "applications"
        _, api = self.provider(name)
        application = api.post("provider/applications/", {"agreement": fps["agreement"],
                                                          "lots": [fps["lots"][n] for n in lots]})["id"]
        for question, lot, kind in fps["questions"].values():
            if lot and lot not in lots:
                continue
            body = ({"complies": complies, "response": "Certificate on the catalogue."} if kind == "compliance"
                    else {"response": "How we work with people and their families, in detail."})
            api.put(f"provider/applications/{application}/answers/{question}/", body)
        api.post(f"provider/applications/{application}/submit/", {"declaration_accepted": True})
        return application

    def evaluate(self, fps, application, lots, scores):
        """One evaluator declares and scores; the lead moderates and decides."""
        self.calls.step = "evaluation"
        url = f"applications/{application}/"
        quality = {key: qid for key, (qid, lot, kind) in fps["questions"].items()
                   if kind == "quality" and (lot is None or lot in lots)}
        self.lead.post(f"{url}evaluators/", {"evaluators": [self.evaluator.user.pk]})
        self.evaluator.post(f"{url}declaration/", {"conflicted": False})
        for key, question in quality.items():
            self.evaluator.post(f"{url}scores/", {"question": question, "score": scores[key],
                                                  "comment": "As the answer shows."})
        self.evaluator.post(f"{url}scores/submit/")
        self.lead.post(f"{url}moderation/open/")
        for key, question in quality.items():
            self.lead.post(f"{url}moderation/", {"question": question, "score": scores[key],
                                                 "rationale": f"Agreed at {scores[key]} out of 5."})
        return self.lead.post(f"{url}decision/")

    def onboard(self, name, finish=True):
        """The lead records the signed contract and safeguarding assurance and
        activates each admission; awaiting onboarding, only the contract."""
        self.calls.step = "onboarding"
        provider, _ = self.providers[name]
        admissions = self.lead.get("admissions/", {"agreement": self.fps["agreement"], "provider": provider.pk})
        for row in admissions["results"]:
            detail = self.lead.get(f"admissions/{row['id']}/")
            items = detail["onboarding"] if finish else detail["onboarding"][:1]
            for item in items:
                self.lead.post(f"admissions/{row['id']}/onboarding/{item['id']}/", {"note": "Received."})
            if finish:
                self.lead.post(f"admissions/{row['id']}/activate/")
                self.active[row["lot"]].append(name)

    # --- Stage 2 ---------------------------------------------------------------------

    def bidders(self, lot, count):
        """Providers active on the lot, taking turns."""
        names = self.active[lot]
        self.turn += 1
        return [names[(self.turn + n) % len(names)] for n in range(min(count, len(names)))]

    def publish(self, lot, need, day, *, start_on=None, deadline_days=14):
        self.calls.step = "sourcing"
        self.people += 1
        person = self.broker.post("calloffs/people/", {"first_name": "Person", "last_name": f"Number {self.people}",
                                                       "nhs_number": ""})["id"]
        package = self.broker.post("calloffs/packages/", self.package_body(lot, need, day, start_on, deadline_days)
                                   | {"agreement": self.fps["agreement"], "lot": self.fps["lots"][lot],
                                      "people": [person]})
        self.broker.post(f"calloffs/packages/{package['id']}/publish/")
        return package

    def package_body(self, lot, need, day, start_on=None, deadline_days=14):
        deadline = day + timedelta(days=deadline_days)
        return {"title": {"1": "Building-based day opportunities, two days a week",
                          "2": "Community support, two days a week",
                          "3": "Support into work and volunteering, two days a week"}[lot],
                "primary_need": need, "outcomes": "Build confidence and friendships outside the home.",
                "support_needed": "Two days a week with support for personal care and travel.",
                "sessions_per_week": 2, "start_on": str(start_on or deadline + timedelta(days=14)),
                "locality": "Crewe", "postcode_district": "CW1", "budget_weekly": "450.00",
                "clarification_deadline": f"{deadline - timedelta(days=4)}T12:00:00",
                "bid_deadline": f"{deadline}T17:00:00"}

    def bid(self, package, name, price):
        self.calls.step = "bids"
        _, api = self.providers[name]
        content = BID_CONTENT | {"weekly_price": price, "start_available_on": package["start_on"]}
        api.post(f"provider/calloffs/{package['id']}/bid/submit/", content,
                 HTTP_IDEMPOTENCY_KEY=f"{package['reference']}-{name}")

    def evaluate_bids(self, package, *, compliant=True):
        self.calls.step = "award"
        bids = self.evaluator.get(f"calloffs/packages/{package['id']}/bids/")
        for n, bid in enumerate(bids):
            self.evaluator.post(f"calloffs/packages/{package['id']}/bids/{bid['id']}/evaluation/", {
                "compliant": compliant, "quality": str(75 - 5 * n), "outcomes": "70", "social_value": "60",
                "compliance_notes": "" if compliant else "Cannot offer the days asked for."})
        return bids

    def award(self, package):
        bids = self.evaluate_bids(package)
        body = {"bid": bids[0]["id"]}
        if len(bids) > 1:
            body |= {"expressed_by": "The person and their family, at a review with the social worker",
                     "preference_notes": "Closer to home."}
        return self.broker.post(f"calloffs/packages/{package['id']}/award/", body)["placement"]

    def go_live(self, placement):
        self.calls.step = "go-live"
        self.broker.post(f"placements/{placement}/go-live/")


FPS_QUESTIONS = {
    "insurance": {"kind": "compliance", "text": "Do you hold public liability insurance of at least £5 million?",
                  "evidence_types": ["public_liability"]},
    "safeguarding": {"kind": "compliance", "text": "Do you have a safeguarding adults policy that follows the "
                                                   "local multi-agency procedures?",
                     "evidence_types": ["safeguarding_policy"]},
    "outcomes": {"kind": "quality", "weight": "40",
                 "text": "How will you help people achieve the outcomes in their support plans?"},
    "workforce": {"kind": "quality", "weight": "30", "text": "How do you recruit, train and supervise staff?"},
    "employment": {"kind": "quality", "weight": "30", "lot": "3",
                   "text": "How do you support people into volunteering and paid work?"},
}


def working_days_after(day: date, n: int) -> date:
    while n:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def schedule_stage_1(replay: Replay):
    t = replay.timeline
    earlier = plan.EARLIER
    known = [a for a in plan.APPLICANTS if a.known]
    state = {}

    def earlier_list():
        state["earlier"] = replay.agreement(
            title=earlier["title"], reference=earlier["reference"], starts_on=earlier["starts_on"],
            ends_on=earlier["ends_on"], lots=[("1", "Day services", "day-opportunities-building-based")],
            rounds=[earlier["round"]], threshold=50, checklist=[],
            questions={"service": {"kind": "quality", "weight": "100",
                                   "text": "Describe the day service you offer and who it is for."}})

    def earlier_open():
        replay.lead.post(f"agreements/{state['earlier']['agreement']}/open/")

    def earlier_member(name):
        application = replay.apply(state["earlier"], name, ("1",))
        replay.evaluate(state["earlier"], application, ("1",), {"service": 4})

    def earlier_end():
        replay.lead.post(f"agreements/{state['earlier']['agreement']}/end/",
                         {"reason": "Replaced by the Day Opportunities Flexible Purchasing System."})

    t.at(at(date(2019, 4, 8)), earlier_list)
    t.at(at(earlier["opened"]), earlier_open)
    for n, applicant in enumerate(known):
        t.at(at(date(2019, 5, 2) + timedelta(days=n), 11), earlier_member, applicant.name)
    t.at(at(earlier["ended"], 16), earlier_end)

    def fps_set_up():
        replay.fps.update(replay.agreement(
            title="Day Opportunities Flexible Purchasing System", reference="CE-DAYOPS-FPS-2022",
            starts_on=date(2022, 7, 1), ends_on=date(2027, 7, 31), lots=plan.LOTS, rounds=plan.ROUNDS,
            threshold=60, questions=FPS_QUESTIONS))

    def fps_open():
        replay.calls.step = "agreements"
        assert replay.lead.post(f"agreements/{replay.fps['agreement']}/open/")["status"] == "open"

    def fps_live():
        replay.calls.step = "agreements"
        assert replay.lead.post(f"agreements/{replay.fps['agreement']}/go-live/")["status"] == "live"

    t.at(at(plan.SET_UP), fps_set_up)
    t.at(at(plan.OPENED), fps_open)
    t.at(at(plan.LIVE, 9), fps_live)

    def applies(applicant):
        provider, _ = replay.provider(applicant.name)
        evidence(provider, replay.officer, replay.authority, until=date(2024, 3, 31))
        application = replay.apply(replay.fps, applicant.name, applicant.lots, complies=applicant.complies)
        decided = working_days_after(applicant.applies_on, 7)
        t.at(at(decided, 14), decides, applicant, application)

    def decides(applicant, application):
        letter = replay.evaluate(replay.fps, application, applicant.lots, applicant.scores)
        expected = "successful" if plan.passed_lots(applicant) == applicant.lots else (
            "partly_successful" if plan.passed_lots(applicant) else "unsuccessful")
        assert letter["kind"] == expected, letter
        if applicant.fate != "unsuccessful":
            t.at(at(working_days_after(t.now.date(), 5), 11), replay.onboard, applicant.name,
                 applicant.fate == "contracted")

    for applicant in plan.APPLICANTS:
        t.at(at(applicant.applies_on, 10, 30), applies, applicant)


def schedule_stage_2(replay: Replay):
    t = replay.timeline

    def closes(package):
        """The scheduler's sweep, just after the deadline."""
        close_due(replay.authority)

    def after_close(package, deadline):
        t.at(at(deadline, 17, 1), closes, package)

    def request(req, day):
        package = replay.publish(req.lot, req.need, day, start_on=date(2023, 9, 4) if req.story == "pending_start"
                                 else None)
        deadline = date.fromisoformat(package["bid_deadline"][:10])
        prices = ["520.00"] if req.story == "republished_live" else ["420.00", "435.00"]
        for n, name in enumerate(replay.bidders(req.lot, req.bids)):
            t.at(at(day + timedelta(days=2), 11, n), replay.bid, package, name, prices[min(n, len(prices) - 1)])
        if req.story in ("withdrawn", "republished_withdrawn"):
            t.at(at(day + timedelta(days=5), 15), withdraws, req, package)
            return
        if req.story == "open_at_year_end":
            return
        after_close(package, deadline)
        t.at(at(deadline + timedelta(days=3), 10), outcome, req, package)

    def withdraws(req, package, again=False):
        replay.calls.step = "sourcing"
        reason = ("needs_changed" if req.story == "republished_withdrawn" and not again else
                  ["person_declined", "direct_payment"][package["id"] % 2])
        assert replay.broker.post(f"calloffs/packages/{package['id']}/withdraw/",
                                  {"reason": reason})["status"] == "withdrawn"
        if req.story == "republished_withdrawn" and not again:
            follow_on = replay.broker.post(f"calloffs/packages/{package['id']}/republish/")
            t.at(at(t.now.date() + timedelta(days=3), 10), republishes, req, follow_on, "withdraw")

    def republishes(req, follow_on, then):
        replay.calls.step = "sourcing"
        day = t.now.date()
        body = replay.package_body(req.lot, req.need, day)
        changed = replay.broker.patch(f"calloffs/packages/{follow_on['id']}/", {
            key: body[key] for key in ("start_on", "clarification_deadline", "bid_deadline")})
        replay.broker.post(f"calloffs/packages/{follow_on['id']}/publish/")
        if then == "withdraw":
            t.at(at(day + timedelta(days=6), 15), withdraws, req, changed, True)
            return
        for n, name in enumerate(replay.bidders(req.lot, 2)):
            t.at(at(day + timedelta(days=2), 11, n), replay.bid, changed, name, ["410.00", "440.00"][n])
        deadline = date.fromisoformat(changed["bid_deadline"][:10])
        after_close(changed, deadline)
        t.at(at(deadline + timedelta(days=3), 10), awards, changed)

    def awards(package):
        placement = replay.award(package)
        start_on = date.fromisoformat(package["start_on"])
        if start_on <= TO:
            t.at(at(start_on, 9, 30), replay.go_live, placement)

    def outcome(req, package):
        replay.calls.step = "award"
        if req.story in ("live", "pending_start"):
            awards(package)
        elif req.story == "withdrawn_after_close":
            replay.broker.post(f"calloffs/packages/{package['id']}/withdraw/", {"reason": "person_declined"})
        elif req.story == "no_award":
            if req.bids:
                replay.evaluate_bids(package, compliant=False)
            replay.broker.post(f"calloffs/packages/{package['id']}/no-award/", {
                "next_step": "exception", "reason": "No provider on the lot could offer the days needed."})
        elif req.story == "republished_live":
            replay.evaluate_bids(package)   # within the rules, but over the budget
            made = replay.broker.post(f"calloffs/packages/{package['id']}/no-award/", {
                "next_step": "republish", "reason": "The only bid was over the budget."})
            follow_on = replay.broker.get(f"calloffs/packages/{made['follow_on']}/")
            t.at(at(t.now.date() + timedelta(days=1), 10), republishes, req, follow_on, "award")

    for req, day in zip(plan.REQUESTS, plan.request_days(), strict=True):
        t.at(at(day, 10), request, req, day)

    def cancelled_draft():
        """A request drafted and cancelled before it went out: not a sourcing request made."""
        replay.calls.step = "sourcing"
        day = t.now.date()
        person = replay.broker.post("calloffs/people/", {"first_name": "Person", "last_name": "Cancelled"})["id"]
        draft = replay.broker.post("calloffs/packages/", replay.package_body("2", "autism", day) | {
            "agreement": replay.fps["agreement"], "lot": replay.fps["lots"]["2"], "people": [person]})
        replay.broker.post(f"calloffs/packages/{draft['id']}/cancel/", {"reason": "direct_payment"})

    t.at(at(date(2022, 11, 14), 15), cancelled_draft)


def test_the_first_year_replayed_gives_the_figures_the_council_reported(region, time_machine):
    replay = Replay(time_machine)
    schedule_stage_1(replay)
    schedule_stage_2(replay)
    replay.timeline.run(until=at(TO, 23))
    replay.timeline.travel(at(date(2023, 9, 1), 9))
    replay.calls.step = "report"
    assert_through_the_lists(replay)
    print(f"\nReplay of the first year: {replay.calls.report()} in {time.perf_counter() - replay.started:.1f} s")
    assert replay.calls.total < 1200, "keep the replay lean: every step is one call a person would make"
    assert_year_report(replay.lead, replay.fps["agreement"])


def distinct(rows, key="provider"):
    return {row[key]["id"] if isinstance(row[key], dict) else row[key] for row in rows}


def assert_through_the_lists(replay: Replay):
    """The council's figures from the lists that exist today: admissions,
    applications, packages, placements and the utilisation report."""
    api, fps = replay.lead, replay.fps
    agreement = fps["agreement"]
    applications = api.all("applications/", {"agreement": agreement})
    assert len(distinct(applications)) == 27
    admissions = api.all("admissions/", {"agreement": agreement})
    contracted = {row["provider"]["id"] for row in admissions if row["status"] == "active"
                  and row["activated_at"] and row["activated_at"][:10] <= str(TO)}
    assert len(contracted) == 18
    rounds = {row["id"]: row["number"] for row in api.get(f"agreements/{agreement}/")["rounds"]}
    assert sorted(rounds.values()) == [1, 2]
    assert {row["round"]["id"] for row in admissions} == set(rounds)
    by_round = {number: len(distinct(api.all("admissions/", {"agreement": agreement, "round": round_id,
                                                             "status": "active"})))
                for round_id, number in rounds.items()}
    assert by_round == {1: 12, 2: 6}
    by_lot = {number: len(distinct(api.all("admissions/", {"agreement": agreement, "lot": lot, "status": "active"})))
              for number, lot in fps["lots"].items()}
    assert by_lot == {"1": 14, "2": 12, "3": 8}
    pending = distinct(api.all("admissions/", {"agreement": agreement, "status": "pending_onboarding"}))
    assert len(pending - contracted) == 5
    new = distinct(api.all("admissions/", {"agreement": agreement, "status": "active", "new_to_authority": "true"}))
    assert len(new) == 9 and new <= contracted

    period = {"agreement": agreement, "published_after": str(FROM), "published_before": str(TO)}
    published = api.all("calloffs/packages/", period)
    assert len({row["sourcing_request"] for row in published}) == 46
    assert len(published) == 46 + 3   # three requests took a second package; each still counts once

    live = api.all("placements/", {"agreement": agreement, "status": "live"})
    live = [row for row in live if FROM <= date.fromisoformat(row["went_live_at"][:10]) <= TO]
    assert len(live) == 15
    live_packages = {row["package"]["id"] for row in live}
    by_lot_live, dementia = {}, None
    for number, lot in fps["lots"].items():
        rows = api.all("placements/", {"agreement": agreement, "lot": lot, "status": "live"})
        by_lot_live[number] = len({row["package"]["id"] for row in rows} & live_packages)
        if number == "1":
            needing = api.all("calloffs/packages/", {"agreement": agreement, "lot": lot, "primary_need": "dementia"})
            dementia = len({row["id"] for row in needing} & live_packages)
    assert by_lot_live == {"1": 9, "2": 2, "3": 4} and dementia == 6

    utilisation = api.get("calloffs/utilisation/", {"start": str(FROM), "end": str(TO)})
    gone_live = defaultdict(int)
    for row in utilisation:
        gone_live[row["lot"]["number"]] += row["live"]
    assert dict(gone_live) == {"1": 9, "2": 2, "3": 4}
    assert sum(row["published"] for row in utilisation) == 46 + 3
    # the utilisation report counts requests made (drafts too, the cancelled one included), not first published
    print(f"\nUtilisation: {sum(row['requests'] for row in utilisation)} sourcing requests made in the period")


# --- THE YEAR REPORT: the same figures from GET agreements/{id}/year-report/ ----------------

def assert_year_report(api: Api, agreement_id: int):
    """The year report the council publishes, from its own endpoint, and its
    committee pack in both formats."""
    response = api.call("get", f"agreements/{agreement_id}/year-report/", {"from": str(FROM), "to": str(TO)},
                        expect=None)
    assert response.status_code == 200, response.content[:1000]
    report = response.json()
    providers = report["providers"]
    assert providers["contracted"] == 18 and providers["rounds"] == 2
    assert sorted(r["count"] for r in providers["contracted_by_round"]) == [6, 12]
    assert sorted((str(r["number"]), r["count"]) for r in providers["contracted_by_lot"]) == [
        ("1", 14), ("2", 12), ("3", 8)]
    assert providers["awaiting_onboarding"] == 5 and providers["new_to_area"] == 9
    assert report["sourcing_requests"] == 46
    live = report["packages_live"]
    assert live["total"] == 15
    by_lot = {str(lot["number"]): lot for lot in live["by_lot"]}
    assert {number: lot["count"] for number, lot in by_lot.items()} == {"1": 9, "2": 2, "3": 4}
    building = {row["need"]: row["count"] for row in by_lot["1"]["by_need"]}
    assert building["dementia"] == 6 and sum(building.values()) == 9

    # The committee pack renders, from the same figures, in both formats.
    period = {"from": str(FROM), "to": str(TO)}
    workbook = api.call("get", f"agreements/{agreement_id}/year-report/pack.xlsx", period)
    assert workbook["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(workbook.content))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=4, values_only=True) if row[0]}
    assert summary["Providers issued with contracts"] == 18
    assert summary["Providers successful and waiting to be onboarded"] == 5
    assert summary["Sourcing requests"] == 46 and summary["Packages gone live"] == 15
    assert sorted(book["Contracted by lot"].iter_rows(min_row=2, max_col=2, values_only=True),
                  key=lambda row: row[0])[0][1] == 14
    assert all(len(book[name]._charts) == 1 for name in ("Contracted by round", "Contracted by lot", "Packages live"))
    pdf = api.call("get", f"agreements/{agreement_id}/year-report/pack.pdf", period)
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
