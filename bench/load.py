"""Mixed read/write load (issue 11, item 9): many concurrent clients read public, signed-in and API pages while
others redeem rewards through the API (with ``Idempotency-Key``, some retried), cancel and 核销 vouchers through the
forms, approve service records (points credited), sign up for shifts and cancel, rate organizations, and race to
pay one grant tranche; then ``manage.py check_invariants`` proves the books still balance.

    python bench/load.py --database postgres://postgres@127.0.0.1:5432/portal --clients 50 --seconds 60

The CLI migrates, collects static files and serves the portal under gunicorn on port 8111 exactly as bench/run.py
does (production settings, 2 sync workers); ``run_load`` drives any running server and is what ``run.py --load``
calls. The database should hold the demo data (``seed_demo``; any scale).

How the clients act as people (a setup step inside Django, see :func:`prepare`): API tokens
(core.services.create_api_token) and sessions for the demo volunteers with the most points, sessions for the
demo raters (137…), the 阳光助残服务社 member (13800000008) and the city officer (13800000002), and three bench
accounts (phones 1340000xxxx) added to each merchant (volunteers.services.add_merchant_member) so that
核销 has someone to do it. Forms are posted with a double-submit CSRF token (the ``csrftoken`` cookie and the
``csrfmiddlewaretoken`` field carry the same random secret, which Django accepts as a browser's would be).
Each simulated client sends its own ``X-Forwarded-For`` address, as the load balancer does in production, so the
per-address limits (ratings, sign-up) see many people rather than one; no limit is raised for the run.
"""

import argparse
import collections
import datetime
import json
import os
import random
import secrets
import signal
import string
import subprocess  # runs manage.py and this file's --prepare step with fixed argument lists  # nosec B404
import sys
import threading
import time
import uuid
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import run as bench_run  # noqa: E402 - the path above makes the package importable as a script

LOAD_PORT = 8111
CLIENT_TIMEOUT_S = 30  # 50 clients queue behind 2 sync workers: a slow answer is waiting, not failing
PY = sys.executable

# What a client does next, with weights: about half reads, a fifth signed-in reads, the rest writes.
ACTIONS = {
    "read_public": 40, "read_api": 10, "read_signed_in": 15,
    "redeem_api": 12, "redeem_retry": 2, "cancel_voucher": 4, "complete_voucher": 5,
    "approve_record": 3, "signup_api": 4, "rate": 5,
}
PUBLIC_PAGES = [
    "/", "/orgs/", "/orgs/?district=520102&field=elderly", "/orgs/?q=" + quote("养老"), "/orgs/?page=2",
    "/volunteers/", "/volunteers/rewards/", "/volunteers/rankings/", "/search/?q=" + quote("养老"),
    "/search/?q=" + quote("社区"), "/evaluations/", "/grants/", "/grants/procurements/",
]
API_PAGES = [
    "/api/v1/orgs/", "/api/v1/orgs/?page=2", "/api/v1/regions", "/api/v1/volunteers/activities",
    "/api/v1/volunteers/rewards", "/api/v1/grants/calls",
]


# --- setup, inside Django (a subprocess with the server's settings and secret key) ----------------------------------
def prepare(volunteers: int = 200, *, organizer_phone: str = "13800000008", officer_phone: str = "13800000002") -> dict:
    """Make the tokens and sessions the clients use and pick the objects they act on; returns plain data (JSON
    types only). Runs inside Django (the ``--prepare`` step, or a test); idempotent apart from new sessions and
    tokens."""
    from django.urls import reverse
    from django.utils import timezone

    from bench.sessions import signed_session
    from core.models import User
    from core.services import create_api_token
    from evaluations.models import Campaign, Result
    from grants.models import Tranche
    from grants.services import condition_holds
    from orgs.models import Organization
    from volunteers import services as volunteer_services
    from volunteers.models import Account, Activity, Merchant, Reward, ServiceRecord, Shift, Voucher
    from volunteers.permissions import managed_records, public_rewards


    now, today = timezone.now(), timezone.localdate()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    accounts = (Account.objects.filter(kind=Account.Kind.VOLUNTEER, volunteer__user__is_active=True)
                .select_related("volunteer__user").order_by("-balance", "pk")[:volunteers])
    people = []
    for account in accounts:
        user = account.volunteer.user
        people.append({"token": create_api_token(user, name="bench-load"), "session": signed_session(user),
                       "volunteer": account.volunteer_id})
    by_volunteer = {p["volunteer"]: i for i, p in enumerate(people)}

    rewards = list(public_rewards(today).filter(stock__gt=0).values_list("pk", "merchant_id"))
    merchants = {}
    for merchant in Merchant.objects.filter(pk__in={m for _r, m in rewards}).order_by("pk"):
        sessions = []
        for n in range(1, 4):
            phone = f"1340000{merchant.pk:02d}{n:02d}"
            user = (User.objects.filter(phone=phone).first()
                    or User.objects.create_user(phone, name=f"压测商家经办人{merchant.pk}-{n}"))
            if not merchant.members.filter(pk=user.pk).exists():
                volunteer_services.add_merchant_member(merchant, user, acting_user=admin)
            sessions.append(signed_session(user))
        merchants[merchant.pk] = sessions
    vouchers = [
        {"code": code, "merchant": merchant, "person": by_volunteer[volunteer], "id": pk}
        for pk, code, merchant, volunteer in Voucher.objects.filter(
            status=Voucher.Status.ISSUED, volunteer__in=list(by_volunteer), expires_at__gt=now
        ).values_list("pk", "code", "reward__merchant_id", "volunteer_id")
    ]

    campaign = Campaign.objects.filter(kind=Campaign.Kind.PUBLIC, status=Campaign.Status.OPEN, opens_at__lte=now,
                                       closes_at__gt=now).order_by("-opens_at").first()
    rating = None
    if campaign is not None:
        raters = User.objects.filter(phone__startswith="137", phone_verified_at__isnull=False, is_active=True)
        rating = {
            "campaign": campaign.pk,
            "organizations": list(Result.objects.filter(campaign=campaign).values_list("organization_id", flat=True)[:300]),
            "dimensions": list(campaign.dimensions.values_list("pk", flat=True)),
            "sessions": [signed_session(u) for u in raters.order_by("pk")[:150]],
        }

    member = User.objects.filter(phone=organizer_phone).first()
    records = []
    organizer = None
    if member is not None:
        organizer = signed_session(member)
        records = list(managed_records(member).filter(status=ServiceRecord.Status.PENDING)
                       .values_list("pk", flat=True)[:400])

    officer = User.objects.filter(phone=officer_phone).first()
    tranche, awards_seen = None, set()
    for pending in Tranche.objects.filter(status=Tranche.Status.PENDING).select_related("award").order_by("award", "sequence"):
        if pending.award_id not in awards_seen and condition_holds(pending)[0]:  # the next tranche, and payable now
            tranche = pending
            break
        awards_seen.add(pending.award_id)
    payment = None
    if officer is not None and tranche is not None:
        payment = {"session": signed_session(officer), "tranche": tranche.pk, "paid_on": today.isoformat(),
                   "path": reverse("grant_applications:inspect", args=[tranche.award.application_id])}

    shifts = list(Shift.objects.filter(starts_at__gt=now + datetime.timedelta(days=2), activity__status="published")
                  .values_list("pk", flat=True)[:60])
    organizations = list(Organization.objects.filter(status__in=["registered", "filed"]).order_by("pk")
                         .values_list("pk", flat=True)[:200])
    activities = list(Activity.objects.filter(status="published").order_by("-pk").values_list("pk", flat=True)[:60])
    return {
        "people": people, "merchants": merchants, "rewards": [[r, m] for r, m in rewards if m in merchants],
        "reward_prices": dict(Reward.objects.filter(pk__in=[r for r, _m in rewards]).values_list("pk", "points_price")),
        "vouchers": vouchers, "rating": rating, "organizer": organizer, "records": records, "payment": payment,
        "shifts": shifts, "organizations": organizations, "activities": activities,
    }


def _prepare_in(env: dict, clients: int) -> dict:
    argv = [PY, str(Path(__file__).resolve()), "--prepare", "--clients", str(clients)]
    out = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # fixed argv  # nosec B603
    if out.returncode != 0:
        raise SystemExit(f"load setup failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the clients ------------------------------------------------------------------------------------------------
class Shared:
    """What the clients hand each other: vouchers issued (to cancel or 核销) and sign-ups (to cancel)."""

    def __init__(self, data: dict):
        self.data = data
        self.lock = threading.Lock()
        self.vouchers = collections.deque(data["vouchers"])
        self.signups = collections.deque()
        self.keys = collections.deque(maxlen=200)  # (person, key, reward) of redemptions, for retries
        self.payment_done = threading.Event()

    def push(self, queue, item, *, twice: bool = False):
        with self.lock:
            queue.append(item)
            if twice:  # the same voucher offered to a second action: a race the state machine must settle
                queue.appendleft(item)

    def pop(self, queue):
        with self.lock:
            return queue.popleft() if queue else None


def _csrf() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


class Client:
    def __init__(self, number: int, base_url: str, shared: Shared, deadline: float, rng: random.Random):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.shared, self.data, self.deadline, self.rng = shared, shared.data, deadline, rng
        self.address = f"10.{number // 250}.{number % 250}.{rng.randint(1, 250)}"
        self.results: list[tuple[str, str, float]] = []  # (action, status or error, milliseconds)

    # One connection per request: gunicorn's sync workers close the connection after each response.
    def request(self, action: str, method: str, path: str, *, session: str | None = None, token: str | None = None,
                form: dict | None = None, body: dict | None = None, headers: dict | None = None,
                address: str | None = None) -> tuple[int | None, bytes]:
        head = {"X-Forwarded-For": address or self.address, "Accept-Language": "zh-hans", **(headers or {})}
        payload = None
        cookies = [f"sessionid={session}"] if session else []
        if form is not None:
            secret = _csrf()
            cookies.append(f"csrftoken={secret}")
            payload = urlencode({**form, "csrfmiddlewaretoken": secret}, doseq=True).encode()
            head["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            payload = json.dumps(body).encode()
            head["Content-Type"] = "application/json"
        if cookies:
            head["Cookie"] = "; ".join(cookies)
        if token:
            head["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        connection = HTTPConnection(self.host, self.port, timeout=CLIENT_TIMEOUT_S)
        try:
            connection.request(method, path, body=payload, headers=head)
            response = connection.getresponse()
            content = response.read()
            status, outcome = response.status, str(response.status)
        except TimeoutError:
            status, content, outcome = None, b"", "timeout"
        except OSError as exc:
            status, content, outcome = None, b"", f"error:{type(exc).__name__}"
        finally:
            connection.close()
        self.results.append((action, outcome, (time.perf_counter() - started) * 1000))
        return status, content

    def person(self) -> tuple[int, dict]:
        index = self.rng.randrange(len(self.data["people"]))
        return index, self.data["people"][index]

    def run(self):
        payment = self.data["payment"]
        if payment and self.rng.random() < 0.2:
            self.pay_tranche(payment)  # a fifth of the clients start by racing to pay the same tranche
        names, weights = list(ACTIONS), list(ACTIONS.values())
        while time.time() < self.deadline:
            action = self.rng.choices(names, weights)[0]
            getattr(self, action)(action)

    # reads
    def read_public(self, action):
        choice = self.rng.random()
        if choice < 0.15 and self.data["organizations"]:
            path = f"/orgs/{self.rng.choice(self.data['organizations'])}/"
        elif choice < 0.25 and self.data["activities"]:
            path = f"/volunteers/activities/{self.rng.choice(self.data['activities'])}/"
        else:
            path = self.rng.choice(PUBLIC_PAGES)
        self.request(action, "GET", path)

    def read_api(self, action):
        self.request(action, "GET", self.rng.choice(API_PAGES))

    def read_signed_in(self, action):
        choice = self.rng.random()
        _i, person = self.person()
        if choice < 0.3:
            self.request(action, "GET", self.rng.choice(["/volunteers/me/", "/volunteers/me/statement/"]),
                         session=person["session"])
        elif choice < 0.55:
            self.request(action, "GET", self.rng.choice(["/api/v1/volunteers/me", "/api/v1/volunteers/me/statement",
                                                          "/api/v1/volunteers/me/vouchers"]), token=person["token"])
        elif choice < 0.8 and self.data["organizer"]:
            self.request(action, "GET", self.rng.choice(["/orgs/workspace/", "/volunteers/manage/"]),
                         session=self.data["organizer"])
        elif self.data["merchants"]:
            sessions = self.data["merchants"][self.rng.choice(list(self.data["merchants"]))]
            self.request(action, "GET", "/volunteers/merchant/", session=self.rng.choice(sessions))

    # writes
    def redeem_api(self, action):
        if not self.data["rewards"]:
            return
        index, person = self.person()
        reward, merchant = self.rng.choice(self.data["rewards"])
        key = uuid.uuid4().hex
        status, content = self.request(action, "POST", "/api/v1/volunteers/redemptions", token=person["token"],
                                       body={"reward_id": reward}, headers={"Idempotency-Key": key})
        if status == 201:
            voucher = json.loads(content)
            self.shared.push(self.shared.vouchers, {"code": voucher["code"], "merchant": merchant, "person": index,
                                                    "id": voucher["id"]}, twice=self.rng.random() < 0.1)
            self.shared.keys.append((index, key, reward, voucher["id"]))

    def redeem_retry(self, action):
        """A client that lost the answer sends the same key again (same voucher back), or, rarely, reuses the key
        for another reward (409)."""
        with self.shared.lock:
            if not self.shared.keys:
                return
            index, key, reward, voucher_id = self.rng.choice(self.shared.keys)
        other = self.rng.random() < 0.2
        if other:
            rewards = [r for r, _m in self.data["rewards"] if r != reward]
            if not rewards:
                return
            reward = self.rng.choice(rewards)
        status, content = self.request(action, "POST", "/api/v1/volunteers/redemptions",
                                       token=self.data["people"][index]["token"], body={"reward_id": reward},
                                       headers={"Idempotency-Key": key})
        if status == 201 and json.loads(content)["id"] != voucher_id:
            self.results.append(("redeem_retry", "replay_mismatch", 0.0))  # a retry must return the same voucher

    def cancel_voucher(self, action):
        voucher = self.shared.pop(self.shared.vouchers)
        if voucher is None:
            return
        person = self.data["people"][voucher["person"]]
        self.request(action, "POST", f"/volunteers/me/vouchers/{voucher['id']}/cancel/", session=person["session"],
                     form={})

    def complete_voucher(self, action):
        voucher = self.shared.pop(self.shared.vouchers)
        if voucher is None or str(voucher["merchant"]) not in self.data["merchants"]:
            return
        session = self.rng.choice(self.data["merchants"][str(voucher["merchant"])])
        self.request(action, "POST", "/volunteers/merchant/complete/", session=session, form={"code": voucher["code"]})

    def approve_record(self, action):
        if not (self.data["organizer"] and self.data["records"]):
            return
        record = self.rng.choice(self.data["records"])  # with replacement: some are approved twice, credited once
        self.request(action, "POST", f"/volunteers/manage/records/{record}/decide/", session=self.data["organizer"],
                     form={"decision": "approve"})

    def signup_api(self, action):
        signup = self.shared.pop(self.shared.signups) if self.rng.random() < 0.4 else None
        if signup is not None:
            index, signup_id = signup
            self.request("cancel_signup_api", "POST", f"/api/v1/volunteers/signups/{signup_id}/cancel",
                         token=self.data["people"][index]["token"])
            return
        if not self.data["shifts"]:
            return
        index, person = self.person()
        status, content = self.request(action, "POST",
                                       f"/api/v1/volunteers/shifts/{self.rng.choice(self.data['shifts'])}/signup",
                                       token=person["token"])
        if status == 201:
            self.shared.push(self.shared.signups, (index, json.loads(content)["id"]))

    def rate(self, action):
        rating = self.data["rating"]
        if not rating or not rating["organizations"] or not rating["sessions"]:
            return
        rater = self.rng.randrange(len(rating["sessions"]))
        form = {f"d{d}": self.rng.randint(1, 5) for d in rating["dimensions"]}
        if self.rng.random() < 0.2:
            form["comment"] = self.rng.choice(["服务很及时，态度很好。", "活动组织有序。", "希望多开展社区活动。"])
        organization = self.rng.choice(rating["organizations"])
        self.request(action, "POST", f"/evaluations/{rating['campaign']}/orgs/{organization}/rate/",
                     session=rating["sessions"][rater], form=form, address=f"10.200.{rater // 250}.{rater % 250 + 1}")

    def pay_tranche(self, payment):
        self.request("pay_tranche", "POST", payment["path"], session=payment["session"], form={
            "action": "pay", "pay-tranche": payment["tranche"], "pay-paid_on": payment["paid_on"],
            "pay-reference": "压测并发拨付",
        })


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def check_invariants(env: dict) -> tuple[bool, list[str]]:
    argv = [PY, "manage.py", "check_invariants"]
    out = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)  # fixed argv  # nosec B603
    problems = [line for line in out.stderr.splitlines() if line.startswith("[")]
    return out.returncode == 0, problems or ([out.stderr.strip()[-500:]] if out.returncode else [])


def drive(base_url: str, data: dict, *, clients: int = 50, seconds: int = 60) -> dict:
    """The load itself: ``clients`` threads acting on ``data`` (from :func:`prepare`) for ``seconds``; the summary
    of what they got back, without the invariant check."""
    data = {**data, "merchants": {str(k): v for k, v in data["merchants"].items()}}
    shared = Shared(data)
    rng = random.Random(20261122)  # noqa: S311 - a load mix, not a secret  # nosec B311
    started = time.time()
    workers = [Client(n, base_url.rstrip("/"), shared, started + seconds, random.Random(rng.random()))  # noqa: S311  # nosec B311
               for n in range(clients)]
    threads = [threading.Thread(target=w.run, name=f"load-{n}", daemon=True) for n, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.time() - started
    results = [r for w in workers for r in w.results]
    answered = [ms for _a, s, ms in results if s.isdigit()]
    by_status = collections.Counter(s for _a, s, _ms in results)
    by_action: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    action_ms: dict[str, list[float]] = collections.defaultdict(list)
    for action, status, ms in results:
        by_action[action][status] += 1
        if status.isdigit():
            action_ms[action].append(ms)
    return {
        "clients": clients, "seconds": seconds, "elapsed_s": round(elapsed, 1),
        "requests": len(answered), "by_status": dict(sorted(by_status.items())),
        "by_action": {a: dict(sorted(c.items())) for a, c in sorted(by_action.items())},
        "action_p50_ms": {a: round(_percentile(v, 0.50), 1) for a, v in sorted(action_ms.items())},
        "p50_ms": round(_percentile(answered, 0.50), 1), "p99_ms": round(_percentile(answered, 0.99), 1),
        "rps": round(len(answered) / elapsed, 1) if elapsed else 0.0,
        "5xx": sum(n for s, n in by_status.items() if s.isdigit() and int(s) >= 500),
        "timeouts": by_status.get("timeout", 0),
        "errors": sum(n for s, n in by_status.items() if not s.isdigit()),
        "actors": {"volunteers": len(data["people"]), "merchant_members": sum(map(len, data["merchants"].values())),
                   "raters": len((data["rating"] or {}).get("sessions", [])), "pending_records": len(data["records"])},
    }


def run_load(base_url: str, database_url: str, env: dict, *, clients: int = 50, seconds: int = 60) -> dict:
    """Drive the server at ``base_url`` (serving ``database_url`` with ``env``, whose SECRET_KEY signs the sessions
    and tokens made here) with ``clients`` concurrent clients for ``seconds``, then check every invariant:
    {clients, seconds, requests, by_status, p50_ms, p99_ms, rps, 5xx, invariants_ok, …}."""
    env = {**env, "DATABASE_URL": database_url}
    result = drive(base_url, _prepare_in(env, clients), clients=clients, seconds=seconds)
    ok, problems = check_invariants(env)
    return {**result, "invariants_ok": ok, "invariant_problems": problems[:20]}


def markdown_lines(load: dict | None) -> list[str]:
    """The "混合读写负载" section of the benchmark report (bench/run.py write())."""
    if not load:
        return []
    verdict = "pass" if load["5xx"] == 0 and load["invariants_ok"] else "FAIL"
    statuses = ", ".join(f"{s} × {n:,}" for s, n in load["by_status"].items())
    lines = [
        "", "## 混合读写负载", "",
        f"{load['clients']} concurrent clients for {load['seconds']} s (bench/load.py): public, signed-in and API reads; "
        "API redemptions with Idempotency-Key (and retries), voucher cancel and 核销, record approvals, shift "
        "sign-ups, 五比五看 ratings, a raced tranche payment. Then `manage.py check_invariants`.", "",
        "| requests | req/s | p50 ms | p99 ms | 5xx | timeouts | invariants | result |",
        "|---:|---:|---:|---:|---:|---:|---|---|",
        f"| {load['requests']:,} | {load['rps']:.1f} | {load['p50_ms']:.1f} | {load['p99_ms']:.1f} | {load['5xx']} | "
        f"{load['timeouts']} | {'hold' if load['invariants_ok'] else 'BROKEN'} | {verdict} |",
        "", f"Responses by status: {statuses}.", "",
        "| action | responses by status |", "|---|---|",
    ]
    for action, statuses_of in load["by_action"].items():
        lines.append(f"| {action} | {', '.join(f'{s} × {n:,}' for s, n in statuses_of.items())} |")
    lines += [f"- {problem}" for problem in load["invariant_problems"]]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL") or f"sqlite:///{bench_run.VAR / 'portal.sqlite3'}")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)  # the setup step, run by run_load
    args = parser.parse_args()
    if args.prepare:
        import django

        django.setup()
        print(json.dumps(prepare(volunteers=max(100, args.clients * 4))))
        return 0
    bench_run.VAR.mkdir(parents=True, exist_ok=True)
    env = bench_run.env_for(args.database, production=True)
    bench_run.manage("migrate", "--noinput", "-v0", env=env)
    bench_run.manage("collectstatic", "--noinput", "-v0", env=env)
    server = bench_run.gunicorn("portal.wsgi", LOAD_PORT, env)
    try:
        bench_run.wait_ready(f"http://127.0.0.1:{LOAD_PORT}/healthz")
        result = run_load(f"http://127.0.0.1:{LOAD_PORT}", args.database, env, clients=args.clients,
                          seconds=args.seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["5xx"] == 0 and result["invariants_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
